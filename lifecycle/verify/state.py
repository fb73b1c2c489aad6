"""Copying a kernel and naming its state, for the exhaustive checker.

The checker explores every interleaving of events, so it needs, for each state
it reaches, a kernel it can hand one more event to without disturbing the
others (`fork_kernel`), and a hashable name for that state (`kernel_key`) so
that two paths reaching the same state are explored once.

Forking copies what the kernel mutates and shares what it only reads (the
spec, the clock, frozen values). Replaying every path from the start would be
simpler, but costs a path's length in events for each edge; a fork costs a few
microseconds. The key holds every field that decides what the kernel does
next, and none that only records the past (the history, the entry times, the
error texts).

Both must follow the fields of `Kernel` and `Component`: the tests compare
the field names below with the classes, so a new field fails them until it is
sorted here as copied, shared or keyed.
"""

from __future__ import annotations

import copy
import dataclasses

from lifecycle.components import Component, Outcome, Tally
from lifecycle.events import ArmDrainDeadline
from lifecycle.kernel import Kernel
from lifecycle.phases import Phase

#: Kernel fields the kernel mutates in place: each fork gets its own.
KERNEL_COPIED = frozenset(
    {
        "components",
        "services",
        "tasks",
        "tally",
        "errors",
        "history",
        "entered",
        "_commands",
    }
)
#: Kernel fields that are read only, or replaced rather than mutated.
KERNEL_SHARED = frozenset(
    {
        "spec",
        "job",
        "autostop",
        "state",
        "outcome",
        "stop_reason",
        "stop_request",
        "cancelled",
        "forced",
        "drain_bounded",
        "events_handled",
        "_check",
    }
)
#: Component fields that are part of the state key.
COMPONENT_KEYED = (
    "state",
    "set_up",
    "ran",
    "abandoned",
    "cleanups",
    "waiting_for",
    "users_alive",
)
#: Component fields that only describe it or record its past.
COMPONENT_UNKEYED = frozenset(
    {
        "name",
        "kind",
        "role",
        "start_timeout",
        "stop_timeout",
        "depends_on",
        "dependents",
        "error",
        "entered",
    }
)


def fork_kernel(kernel: Kernel) -> Kernel:
    """An independent copy of `kernel` that the original's events do not touch."""
    forked = copy.copy(kernel)
    components = {
        name: _fork_component(component)
        for name, component in kernel.components.items()
    }
    forked.components = components
    forked.services = [components[c.name] for c in kernel.services]
    forked.tasks = [components[c.name] for c in kernel.tasks]
    forked.tally = Tally.__new__(Tally)
    forked.tally.counts = {role: dict(c) for role, c in kernel.tally.counts.items()}
    forked.errors = list(kernel.errors)
    forked.history = kernel.history.copy()
    forked.entered = list(kernel.entered)
    forked._commands = []
    return forked


_COMPONENT_FIELDS = tuple(f.name for f in dataclasses.fields(Component))


def _fork_component(component: Component) -> Component:
    forked = object.__new__(Component)
    for name in _COMPONENT_FIELDS:
        object.__setattr__(forked, name, getattr(component, name))
    forked.entered = list(component.entered)
    return forked


# Keyed by id(): hashing an enum member runs Python code, hashing an int does not.
_PHASE = {id(phase): number for number, phase in enumerate(Phase)}
_OUTCOME = {id(None): 0, **{id(o): n for n, o in enumerate(Outcome, start=1)}}


def only_deadlines(commands: list) -> bool:
    """True when `commands` only arm drain deadlines.

    A repeated stop may tighten the drain deadline (the earliest one wins);
    it changes nothing else, so that is all a late event may issue.
    """
    return all(isinstance(command, ArmDrainDeadline) for command in commands)


def kernel_key(kernel: Kernel) -> tuple[int, ...]:
    """Everything that decides what `kernel` does next, as small integers."""
    key = [
        _PHASE[id(kernel.state)],
        _OUTCOME[id(kernel.outcome)],
        kernel.stop_request is not None,
        kernel.cancelled,
        kernel.forced,
        kernel.drain_bounded,
        bool(kernel.errors),
    ]
    for c in kernel.components.values():
        key += (
            _PHASE[id(c.state)],
            c.set_up,
            c.ran,
            c.abandoned,
            c.cleanups,
            c.waiting_for,
            c.users_alive,
            c.error is not None,
        )
    return tuple(map(int, key))
