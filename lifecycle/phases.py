"""Phases and the transition tables of the task, service and dispatcher machines.

Theory of operation
-------------------
Every task, every service and each job's dispatcher is a finite state machine
over one set of phases, `Phase`. The main line is::

    CREATED -> STARTING -> RUNNING -> STOPPING -> STOPPED -> CLEANING -> CLEANED

`STOPPED` means no more work is done, though resources may still be held.
`CLEANED` means nothing is held: cleanup completed, or setup never completed.
`FAILED` means cleanup could not complete (it raised, or a deadline ran out and
the thread was abandoned); something may still hold resources. A component
whose *work* failed is not `FAILED`: it goes to `STOPPED` and is cleaned up.

Each machine is one table below, read top to bottom. A row is an event, the
phase it leaves, the phase it enters, and an optional guard. The runtime
machines (`transitions.Machine`), the diagrams and the tests are all built from
these tables, so a change here changes all three.

Two kinds of row:

* Rows without a guard are taken when their event arrives (a setup returned, a
  stop was asked). An event from a phase with no row for it is illegal.
* Rows with a guard on the dispatcher are automatic: the kernel takes one as
  soon as its guard holds, checking after every event. A guarded row on a
  component picks among rows for the same event (`clean` enters `CLEANING`
  when setup returned and `CLEANED` when it did not).

What is not in the tables lives in `lifecycle.kernel`: which commands each
transition issues, the order services stop in, and which late or duplicate
events are recorded no-ops instead of errors.

Rejected design: one machine per component, built at submit. transitions
builds its `State` and `Event` objects per machine, which costs more than the
rest of a job's bookkeeping together; instead each table is built into one
machine, once, and triggered on each component as a model that is never added
to it (`Machine.add_model` is quadratic in the number of models).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any


class Phase(enum.Enum):
    """The phase of a task, a service, or a job's dispatcher."""

    CREATED = "created"
    STARTING = "starting"
    RUNNING = "running"
    STOPPING = "stopping"
    STOPPED = "stopped"
    CLEANING = "cleaning"
    CLEANED = "cleaned"
    FAILED = "failed"

    # Each member is equal only to itself, so hashing by identity is sound; it
    # spares the Python-level `Enum.__hash__` on every lookup keyed by a phase,
    # which the kernel makes a dozen times a transition.
    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return self.name

    @property
    def terminal(self) -> bool:
        """True for `CLEANED` and `FAILED`, the phases nothing leaves."""
        return self in TERMINAL


TERMINAL = frozenset({Phase.CLEANED, Phase.FAILED})

#: Phases in which a task has not yet stopped working.
WORKING = frozenset({Phase.CREATED, Phase.STARTING, Phase.RUNNING, Phase.STOPPING})

#: Phases before setup has finished, one way or the other.
UNSTARTED = frozenset({Phase.CREATED, Phase.STARTING})


class Kind(enum.Enum):
    """What a history record or an error is about."""

    TASK = "task"
    SERVICE = "service"
    DISPATCHER = "dispatcher"

    __hash__ = object.__hash__  # as for `Phase`

    def __repr__(self) -> str:
        return self.name

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Guard:
    """A condition a row requires, shown on its diagram edge as `[label]`."""

    label: str
    holds: Callable[[Any], bool]

    def __repr__(self) -> str:
        return f"Guard({self.label!r})"


@dataclass(frozen=True)
class Row:
    """One transition of a machine: `event` moves `source` to `dest`."""

    event: str
    source: Phase
    dest: Phase
    guard: Guard | None = None

    @property
    def failure(self) -> bool:
        """True for rows taken only because something went wrong."""
        return self.dest is Phase.FAILED or self.event in FAILURE_EVENTS


#: Events that mean something went wrong, drawn in their own style.
FAILURE_EVENTS = frozenset(
    {"setup_failed", "task_failed", "stop_failed", "cleanup_failed", "overran"}
)


def _rows(event: str, sources: Iterable[Phase], dest: Phase) -> tuple[Row, ...]:
    return tuple(Row(event, source, dest) for source in sources)


# -- Guards on components -----------------------------------------------------
# The model is a `lifecycle.kernel.Component`.

SET_UP = Guard("setup returned", lambda component: component.set_up)
NEVER_SET_UP = Guard("never set up", lambda component: not component.set_up)

# -- Guards on the dispatcher -------------------------------------------------
# The model is the `lifecycle.kernel.Kernel` of the job.

ALL_STARTED = Guard("all started", lambda kernel: kernel.all_started)
STOP_OR_FAILURE = Guard("stop asked or failed", lambda kernel: kernel.must_stop)
INPUT_ENDED = Guard("input ended", lambda kernel: kernel.input_ended)
ALL_TASKS_STOPPED = Guard("all tasks stopped", lambda kernel: kernel.tasks_stopped)
TEARDOWN_WANTED = Guard(
    "autostop, stop asked or failed", lambda kernel: kernel.teardown_wanted
)
ALL_CLEANED = Guard("all cleaned", lambda kernel: kernel.all_cleaned)
SOME_FAILED = Guard("all terminal, some failed", lambda kernel: kernel.some_failed)

_ABANDONABLE = (Phase.STARTING, Phase.STOPPING, Phase.CLEANING)

_CLEANUP_ROWS = (
    Row("clean", Phase.STOPPED, Phase.CLEANING, SET_UP),
    Row("clean", Phase.STOPPED, Phase.CLEANED, NEVER_SET_UP),
    Row("cleaned", Phase.CLEANING, Phase.CLEANED),
    Row("cleanup_failed", Phase.CLEANING, Phase.FAILED),
    *_rows("overran", _ABANDONABLE, Phase.FAILED),
)

TASK_TABLE: tuple[Row, ...] = (
    Row("start", Phase.CREATED, Phase.STARTING),
    Row("cancel", Phase.CREATED, Phase.STOPPED),
    Row("started", Phase.STARTING, Phase.RUNNING),
    Row("setup_failed", Phase.STARTING, Phase.STOPPED),
    Row("input_ended", Phase.RUNNING, Phase.STOPPING),
    Row("force_stop", Phase.RUNNING, Phase.STOPPING),
    Row("drained", Phase.STOPPING, Phase.STOPPED),
    *_rows("task_failed", (Phase.RUNNING, Phase.STOPPING), Phase.STOPPED),
    *_CLEANUP_ROWS,
)

SERVICE_TABLE: tuple[Row, ...] = (
    Row("start", Phase.CREATED, Phase.STARTING),
    Row("cancel", Phase.CREATED, Phase.STOPPED),
    Row("started", Phase.STARTING, Phase.RUNNING),
    Row("setup_failed", Phase.STARTING, Phase.STOPPED),
    Row("stop", Phase.RUNNING, Phase.STOPPING),
    Row("stopped", Phase.STOPPING, Phase.STOPPED),
    Row("stop_failed", Phase.STOPPING, Phase.STOPPED),
    *_CLEANUP_ROWS,
)

DISPATCHER_TABLE: tuple[Row, ...] = (
    Row("submit", Phase.CREATED, Phase.STARTING),
    Row("stop", Phase.STARTING, Phase.STOPPING, STOP_OR_FAILURE),
    Row("run", Phase.STARTING, Phase.RUNNING, ALL_STARTED),
    Row("stop", Phase.RUNNING, Phase.STOPPING, STOP_OR_FAILURE),
    Row("drain", Phase.RUNNING, Phase.STOPPING, INPUT_ENDED),
    Row("tasks_stopped", Phase.STOPPING, Phase.STOPPED, ALL_TASKS_STOPPED),
    Row("teardown", Phase.STOPPED, Phase.CLEANING, TEARDOWN_WANTED),
    Row("cleaned", Phase.CLEANING, Phase.CLEANED, ALL_CLEANED),
    Row("cleanup_failed", Phase.CLEANING, Phase.FAILED, SOME_FAILED),
)

TABLES: dict[Kind, tuple[Row, ...]] = {
    Kind.TASK: TASK_TABLE,
    Kind.SERVICE: SERVICE_TABLE,
    Kind.DISPATCHER: DISPATCHER_TABLE,
}


def events_of(table: Iterable[Row]) -> dict[str, frozenset[Phase]]:
    """Map each event of a table to the phases it may be taken from."""
    sources: dict[str, set[Phase]] = {}
    for row in table:
        sources.setdefault(row.event, set()).add(row.source)
    return {event: frozenset(phases) for event, phases in sources.items()}


def automatic_rows(table: Iterable[Row]) -> dict[Phase, tuple[Row, ...]]:
    """Map each phase to its guarded rows, in table order."""
    rows: dict[Phase, list[Row]] = {}
    for row in table:
        if row.guard is not None:
            rows.setdefault(row.source, []).append(row)
    return {phase: tuple(found) for phase, found in rows.items()}
