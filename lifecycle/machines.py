"""The `transitions` machines built from the tables in `lifecycle.phases`.

Each table is built into one model-less `transitions.Machine`, once per
process. The kernel triggers an event on a component by handing the component
to the machine's `Event.trigger` as its model; models are never added to the
machine, which keeps a job's cost linear in its size (`Machine.add_model`
tests list membership) and leaves no per-model graph or trigger method behind.

The machines carry no callbacks: the kernel records, logs and issues commands
after each trigger returns, so no user code and no I/O runs inside them.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from transitions import EventData, Machine, State

from lifecycle.phases import TABLES, Guard, Kind, Phase, Row


class _GuardCondition:
    """A `transitions` condition that asks a `Guard` about the event's model."""

    __slots__ = ("guard",)

    def __init__(self, guard: Guard) -> None:
        self.guard = guard

    def __call__(self, event: EventData) -> bool:
        return bool(self.guard.holds(event.model))


class _QuietState(State):
    """A state whose entry and exit log nothing.

    transitions logs two INFO lines per transition ("Finished processing
    state ... callbacks"), which an application logging at INFO would see for
    every component of every job. lifecycle records and logs each transition
    itself, at debug level, so these states run their callbacks (there are
    none) without logging.
    """

    def enter(self, event_data: EventData) -> None:
        event_data.machine.callbacks(self.on_enter, event_data)

    def exit(self, event_data: EventData) -> None:
        event_data.machine.callbacks(self.on_exit, event_data)


class _Machine(Machine):
    """A `transitions.Machine` whose states are `_QuietState`s."""

    state_cls = _QuietState


def build_machine(table: tuple[Row, ...], name: str = "") -> Machine:
    """Build a model-less `transitions.Machine` from one table.

    Args:
        table: the rows of one machine, as in `lifecycle.phases`.
        name: a name for transitions' own log lines.

    Returns:
        A machine over `Phase` with no models, no automatic `to_*` events and
        one transition per row; guards become conditions.
    """
    machine = _Machine(
        model=None,
        states=Phase,
        initial=Phase.CREATED,
        auto_transitions=False,
        send_event=True,
        name=name,
    )
    for row in table:
        conditions = [_GuardCondition(row.guard)] if row.guard else None
        machine.add_transition(row.event, row.source, row.dest, conditions=conditions)
    return machine


@cache
def machine_for(kind: Kind) -> Machine:
    """The shared runtime machine of one kind, built on first use."""
    return build_machine(TABLES[kind], name=f"lifecycle.{kind.value}")


def trigger(kind: Kind, event: str, model: Any) -> bool:
    """Trigger `event` on `model` through the machine of `kind`.

    Returns:
        True when a row was taken, False when every matching row's guard
        failed. The caller checks that the event is legal in the model's
        phase first; an illegal one raises `transitions.MachineError`.
    """
    return machine_for(kind).events[event].trigger(model)
