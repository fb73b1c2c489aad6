"""Checking a job's history against the tables and the rules, record by record.

A history (`job.history`, or a trace saved with `save_jsonl`) says, for every
transition, which component moved, on which event, from which phase to which.
`TraceChecker` reads those records in order and raises `HistoryViolation` at
the first one that no correct kernel could have written:

* chain: each component's records follow on: a record leaves the phase the
  previous one entered (CREATED at first), and a no-op stays where it is;
* table: every step that is not a no-op is a row of its machine's table;
* order: `seq` increases, `cause` never goes back, one job per history;
* after end: nothing moves once the dispatcher is terminal;
* rule 1: no service leaves RUNNING while a task works, and no task works
  after a service left RUNNING;
* rule 2: a component enters CLEANING (runs its cleanup) at most once
  (checked before the chain, whose message would say less);
* rule 3: given the services' `depends_on`, a service starts only once the
  services it needs are RUNNING, and stops only once those that need it
  are terminal;
* rule 4: the dispatcher reaches STOPPED only when every task stopped,
  CLEANED only when every component is CLEANED, FAILED only when every
  component is terminal and one FAILED. With "after end", this is what
  makes every component terminal at the end of a terminal job's history.

The checker knows only the components the history names; a component that
never appears cannot be found missing. Use `check_job` for a live job: it
passes the job's own `depends_on`.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lifecycle.errors import LifecycleError
from lifecycle.history import RawRecord, TransitionRecord
from lifecycle.machines import machine_for
from lifecycle.phases import TERMINAL, WORKING, Kind, Phase

if TYPE_CHECKING:
    from lifecycle.job import Job

_Key = tuple[Kind, str]
#: A history record, as a model or as the kernel's own tuple.
Record = TransitionRecord | RawRecord


class HistoryViolation(LifecycleError):
    """A record of a history breaks a rule.

    Attributes:
        rule: the short name of the rule (see `lifecycle.trace`).
        record: the offending record.
        position: its index in the history, from 0.
    """

    def __init__(self, rule: str, message: str, record: Record, position: int) -> None:
        self.rule = rule
        self.record = record
        self.position = position
        super().__init__(
            f"{rule}: seq {record.seq}: {record.kind} {record.component!r} "
            f"{record.event} {record.source.name} -> {record.dest.name}: {message}"
        )


@dataclass
class TraceChecker:
    """Reads a history one record at a time; `feed` raises at the first fault.

    Args:
        depends_on: each service's `depends_on`, if known; enables rule 3.
    """

    depends_on: Mapping[str, Iterable[str]] = field(default_factory=dict)
    job: str | None = None
    phases: dict[_Key, Phase] = field(default_factory=dict)
    cleanings: dict[str, int] = field(default_factory=dict)
    #: The service that first left RUNNING, once one did.
    service_stopped: str | None = None
    last_seq: int = 0
    last_cause: int = 0
    fed: int = 0

    def __post_init__(self) -> None:
        self.needs = {name: tuple(deps) for name, deps in self.depends_on.items()}
        self.users: dict[str, list[str]] = {}
        for name, deps in self.needs.items():
            for dep in deps:
                self.users.setdefault(dep, []).append(name)

    def fork(self) -> TraceChecker:
        """An independent copy, to follow two continuations of one history."""
        forked = copy.copy(self)
        forked.phases = dict(self.phases)
        forked.cleanings = dict(self.cleanings)
        return forked

    @property
    def dispatcher(self) -> Phase:
        """The dispatcher's phase after the records fed so far."""
        return self._phase((Kind.DISPATCHER, "dispatcher"))

    def feed(self, record: Record) -> None:
        """Check one more record.

        Raises:
            HistoryViolation: naming the rule the record breaks.
        """
        self._record, self._position = record, self.fed
        self._check_order(record)
        key = (record.kind, record.component)
        if record.dest is Phase.CLEANING and not record.noop:
            self._count_cleanup(record.component)
        self._check_chain(key, record)
        if not record.noop:
            self._check_step(key, record)
            self.phases[key] = record.dest
        self.fed += 1

    # -- The checks ------------------------------------------------------------

    def _fail(self, rule: str, message: str) -> None:
        raise HistoryViolation(rule, message, self._record, self._position)

    def _phase(self, key: _Key) -> Phase:
        return self.phases.get(key, Phase.CREATED)

    def _check_order(self, record: Record) -> None:
        if self.job is None:
            self.job = record.job
        elif record.job != self.job:
            self._fail(
                "order",
                f"a record of job {record.job!r} in the history "
                f"of job {self.job!r}; keep one job per history",
            )
        if record.seq <= self.last_seq:
            self._fail("order", f"seq {record.seq} comes after seq {self.last_seq}")
        if record.cause < self.last_cause:
            self._fail(
                "order", f"cause {record.cause} comes after event {self.last_cause}"
            )
        self.last_seq, self.last_cause = record.seq, record.cause
        other = Kind.SERVICE if record.kind is Kind.TASK else Kind.TASK
        if (other, record.component) in self.phases:
            self._fail("chain", f"{record.component!r} was a {other} before")

    def _count_cleanup(self, name: str) -> None:
        count = self.cleanings.get(name, 0) + 1
        self.cleanings[name] = count
        if count > 1:
            self._fail("rule 2", f"cleanup runs a {_nth(count)} time")

    def _check_chain(self, key: _Key, record: Record) -> None:
        current = self._phase(key)
        if record.source is not current:
            self._fail("chain", f"it is {current.name}, not {record.source.name}")
        if record.noop and record.dest is not record.source:
            self._fail("chain", "a no-op record must not change the phase")
        if not record.noop and self.dispatcher.terminal:
            self._fail("after end", "the dispatcher is already terminal")

    def _check_step(self, key: _Key, record: Record) -> None:
        machine = machine_for(record.kind)
        if not machine.get_transitions(record.event, record.source, record.dest):
            self._fail(
                "table",
                f"no row of the {record.kind} table moves "
                f"{record.source.name} to {record.dest.name} "
                f"on {record.event!r}",
            )
        if record.kind is Kind.TASK:
            self._check_task(record)
        elif record.kind is Kind.SERVICE:
            self._check_service(record)
        else:
            self._check_dispatcher(record)

    def _check_task(self, record: Record) -> None:
        if self.service_stopped and record.source in WORKING:
            self._fail(
                "rule 1",
                f"the task still works after service "
                f"{self.service_stopped!r} left RUNNING",
            )
        stopped = self.dispatcher in (Phase.STOPPED, Phase.CLEANING, *TERMINAL)
        if stopped and record.source in WORKING:
            self._fail(
                "rule 4",
                f"the task works after the dispatcher reached {self.dispatcher.name}",
            )

    def _check_service(self, record: Record) -> None:
        name = record.component
        if record.event == "start":
            waiting = [
                d
                for d in self.needs.get(name, ())
                if self._phase((Kind.SERVICE, d)) is not Phase.RUNNING
            ]
            if waiting:
                self._fail("rule 3", f"it starts before {waiting} are RUNNING")
        if record.source is not Phase.RUNNING:
            return
        working = self._tasks_in(WORKING)
        if working:
            self._fail("rule 1", f"it leaves RUNNING while tasks {working} work")
        self.service_stopped = self.service_stopped or name
        alive = [
            u
            for u in self.users.get(name, ())
            if self._phase((Kind.SERVICE, u)) not in TERMINAL
        ]
        if alive:
            self._fail("rule 3", f"it stops before {alive}, which need it, ended")

    def _check_dispatcher(self, record: Record) -> None:
        dest = record.dest
        if dest is Phase.STOPPED and self._tasks_in(WORKING):
            self._fail("rule 4", f"tasks {self._tasks_in(WORKING)} still work")
        if dest is Phase.CLEANED:
            unclean = [
                n
                for (k, n), p in self.phases.items()
                if k is not Kind.DISPATCHER and p is not Phase.CLEANED
            ]
            if unclean:
                self._fail("rule 4", f"{unclean} are not CLEANED")
        if dest is Phase.FAILED:
            phases = [
                p for (k, _), p in self.phases.items() if k is not Kind.DISPATCHER
            ]
            if Phase.FAILED not in phases or not set(phases) <= TERMINAL:
                self._fail(
                    "rule 4", "FAILED needs every component terminal and one FAILED"
                )

    def _tasks_in(self, phases: Iterable[Phase]) -> list[str]:
        wanted = frozenset(phases)
        return [
            name
            for (kind, name), phase in self.phases.items()
            if kind is Kind.TASK and phase in wanted
        ]


def _nth(count: int) -> str:
    return {2: "second", 3: "third"}.get(count, f"{count}th")


def check_history(
    records: Iterable[Record],
    depends_on: Mapping[str, Iterable[str]] | None = None,
) -> int:
    """Check a whole history; return how many records it has.

    Args:
        records: the history, oldest first (`job.history`, `load_jsonl(...)`).
        depends_on: each service's `depends_on`, to check the stop order.

    Raises:
        HistoryViolation: at the first record that breaks a rule.
    """
    checker = TraceChecker(depends_on or {})
    for record in records:
        checker.feed(record)
    return checker.fed


def check_job(job: Job) -> int:
    """Check a job's history with its own services' `depends_on`.

    Raises:
        HistoryViolation: at the first record that breaks a rule.
    """
    kernel = job._kernel
    depends_on = {service.name: service.depends_on for service in kernel.spec.services}
    return check_history(job.history, depends_on)
