"""The job every matrix case runs, with one fault injected, ended one of three ways.

The job: services `db` and `index` (index depends on db); a source of 20
items (or an endless one) feeding `map`, which calls `index`, feeding `sink`,
which keeps every item. The component at fault gets a short deadline, all
others a long one, so only the fault can overrun.

Ends (`End`):

* `batch`: `submit(autostop=True)`, which blocks and raises `JobFailed`;
* `parked`: `submit(autostop=False)`, wait for STOPPED, then `job.stop()`;
* `stopped`: an endless source, stopped by `job.stop()` while it runs.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from lifecycle import Job, JobFailed, LocalEnvironment, Phase
from tests.faults.checks import BOUND, bounded
from tests.faults.components import (
    Fault,
    FaultyFunction,
    FaultyService,
    FaultySource,
    Hang,
    InjectedError,
)
from tests.recording import Journal

#: The deadline of the component at fault.
SHORT = 0.3
#: The deadline of every other component.
LONG = 5.0
#: The item on which a fault in the work strikes.
AT = 3
#: Hooks that run while the job works, not while it starts or tears down.
WORK = frozenset({"execute", "next"})
SERVICES = ("db", "index")
TASKS = ("source", "map", "sink")


class End(enum.Enum):
    """How a case ends its job."""

    BATCH = "batch"
    PARKED = "parked"
    STOPPED = "stopped"

    def __repr__(self) -> str:
        return self.value


@dataclass
class Rig:
    """One environment with the matrix's job built in it, not yet submitted."""

    who: str
    hook: str
    fault: Fault
    end: End
    journal: Journal = field(default_factory=Journal)
    out: list[Any] = field(default_factory=list)
    env: LocalEnvironment = field(init=False)
    source: FaultySource = field(init=False)

    def __post_init__(self) -> None:
        on_task = self.who in TASKS
        timeout = SHORT if on_task else LONG
        self.env = LocalEnvironment(
            f"{self.who}-{self.hook}-{self.end.value}",
            start_timeout=timeout,
            stop_timeout=timeout,
            call_timeout=LONG,
            queue_size=8,  # a short drain, well within SHORT even on a busy machine
            check=True,
        )
        for name, needs in (("db", ()), ("index", ("db",))):
            deadline = SHORT if name == self.who else LONG
            self.env.register_service(
                name, FaultyService, name, self.journal, depends_on=needs,
                start_timeout=deadline, stop_timeout=deadline, **self._faults(name),
            )  # fmt: skip
        count = None if self.end is End.STOPPED else 20
        self.source = FaultySource(self.journal, count, at=AT, **self._faults("source"))
        stream = self.env.from_batch(self.source)
        stream = stream.map(
            FaultyFunction, "map", self.journal, call="index", at=AT,
            **self._faults("map"),
        )  # fmt: skip
        stream.sink(
            FaultyFunction, "sink", self.journal, out=self.out, at=AT,
            **self._faults("sink"),
        )  # fmt: skip

    def _faults(self, name: str) -> dict[str, Fault]:
        return {self.hook: self.fault} if name == self.who else {}

    @property
    def hangs(self) -> list[Hang]:
        return [self.fault] if isinstance(self.fault, Hang) else []

    @property
    def first_error(self) -> type[BaseException]:
        return TimeoutError if isinstance(self.fault, Hang) else InjectedError

    def run(self) -> tuple[Job, JobFailed | None]:
        """Submit and end the job as `end` says; return it and what submit raised."""
        if self.end is End.BATCH:
            try:
                return bounded(self.env.submit, autostop=True), None
            except JobFailed as raised:
                return raised.job, raised
        job = self.env.submit(autostop=False)
        if self.end is End.PARKED:
            bounded(job.wait, Phase.STOPPED)
        elif self.hook in WORK and isinstance(self.fault, Hang):
            assert self.fault.struck.wait(BOUND), "the hang never struck"
        elif self.hook in WORK:
            bounded(job.wait, Phase.STOPPING)
        else:
            bounded(job.wait, Phase.RUNNING)
        bounded(job.stop)
        return job, None


def fault(kind: str) -> Fault:
    """A fresh fault: `raises` an `InjectedError`, or `hangs` until released."""
    return InjectedError(kind) if kind == "raises" else Hang()
