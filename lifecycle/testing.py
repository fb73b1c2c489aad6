"""Tools for testing code built on lifecycle: strategies, a history validator.

Needs hypothesis (`pip install 'lifecycle[test]'`).

Strategies (hypothesis), all read from the tables in `lifecycle.phases`:

* `legal_paths(kind)`: sequences of rows a machine (task, service or
  dispatcher) can take one after the other from CREATED; `complete=True`
  makes each end in a terminal phase.
* `illegal_steps(kind)`: a legal path, then one event its last phase has no
  row for: feed it to your code and expect a refusal.
* `job_specs()`: small jobs (tasks, some of them sources; services with
  random acyclic `depends_on`; autostop on or off).
* `job_events(spec)`: event sequences a runtime could send to a kernel for
  that job, faults included or not, each ending with the job terminal.

Validation of histories (no hypothesis needed; also in `lifecycle.trace`):
`check_history(records)`, `check_job(job)`, `TraceChecker`,
`HistoryViolation`.

This module is also a pytest plugin: `pytest_plugins = ["lifecycle.testing"]`
in your top-level `conftest.py` gives the `lifecycle_guard` fixture, which
fails a test that leaves a job non-terminal or a lifecycle thread running
(see `lifecycle.pytest_plugin`).
"""

from __future__ import annotations

from hypothesis import strategies as st

from lifecycle import events as ev
from lifecycle.history import TransitionRecord
from lifecycle.kernel import Kernel
from lifecycle.phases import TABLES, Kind, Phase, Row
from lifecycle.pytest_plugin import (
    LifecycleGuard,
    lifecycle_guard,
    lifecycle_threads,
    pytest_addoption,
    pytest_collection_modifyitems,
)
from lifecycle.specs import JobSpec, ServiceSpec, TaskSpec, job_spec
from lifecycle.trace import HistoryViolation, TraceChecker, check_history, check_job
from lifecycle.verify.harness import Harness
from lifecycle.verify.simulation import Sort

__all__ = [
    "HistoryViolation",
    "LifecycleGuard",
    "TraceChecker",
    "check_history",
    "check_job",
    "illegal_steps",
    "job_events",
    "job_histories",
    "job_specs",
    "legal_paths",
    "lifecycle_guard",
    "lifecycle_threads",
    "pytest_addoption",
    "pytest_collection_modifyitems",
]


def _rows_from(kind: Kind, phase: Phase) -> list[Row]:
    return [row for row in TABLES[kind] if row.source is phase]


@st.composite
def legal_paths(draw: st.DrawFn, kind: Kind, *, complete: bool = False) -> list[Row]:
    """Rows of `kind`'s table that can be taken in order, starting at CREATED.

    Guards are assumed to hold when a row is drawn. With `complete`, the path
    goes on until a terminal phase; otherwise it may stop anywhere.
    """
    path: list[Row] = []
    phase = Phase.CREATED
    while not phase.terminal:
        if not complete and path and draw(st.booleans()):
            break
        row = draw(st.sampled_from(_rows_from(kind, phase)))
        path.append(row)
        phase = row.dest
    return path


@st.composite
def illegal_steps(draw: st.DrawFn, kind: Kind) -> tuple[list[Row], str]:
    """A legal path of `kind`, then an event its last phase has no row for."""
    path = draw(legal_paths(kind))
    phase = path[-1].dest if path else Phase.CREATED
    allowed = {row.event for row in _rows_from(kind, phase)}
    refused = sorted({row.event for row in TABLES[kind]} - allowed)
    return path, draw(st.sampled_from(refused))


@st.composite
def job_specs(draw: st.DrawFn, *, max_tasks: int = 6, max_services: int = 4) -> JobSpec:
    """A job of 1 to `max_tasks` tasks and 0 to `max_services` services.

    At least one task is a source. Each service depends on a random subset of
    those drawn before it, so `depends_on` is acyclic; the services are then
    listed in a random order, since one may name another listed after it.
    """
    count = draw(st.integers(1, max_tasks))
    sources = draw(st.lists(st.booleans(), min_size=count, max_size=count))
    sources[draw(st.integers(0, count - 1))] = True
    tasks = [TaskSpec(name=f"t{n}", source=s) for n, s in enumerate(sources, 1)]
    services = []
    for n in range(1, draw(st.integers(0, max_services)) + 1):
        earlier = [f"s{m}" for m in range(1, n)]
        needs = draw(st.lists(st.sampled_from(earlier), unique=True)) if earlier else []
        services.append(ServiceSpec(name=f"s{n}", depends_on=tuple(needs)))
    services = draw(st.permutations(services))
    return job_spec("job", tasks, services, autostop=draw(st.booleans()))


@st.composite
def job_events(
    draw: st.DrawFn, spec: JobSpec, *, faults: bool = True, late: int = 10
) -> list[ev.Event]:
    """Events a runtime could send a kernel running `spec`, `Submit` first.

    Each event answers a command the kernel issued before it (in any order);
    with `faults`, some are raises, overruns, stops and force-stops, and up to
    `late` are late or repeated events the kernel must take as no-ops. The
    sequence ends once the job is terminal (a parked job is released by a
    stop). Every event is checked as it is generated (`Harness`), so a kernel
    bug shows here as a `LifecycleError`.
    """
    harness = Harness.submitted(spec, faults=faults)
    events: list[ev.Event] = [ev.Submit()]
    while not harness.kernel.state.terminal:
        by_sort: dict[Sort, list[ev.Event]] = {}
        for move in harness.moves():
            by_sort.setdefault(move.sort, []).append(move.event)
        if not late:
            by_sort.pop(Sort.LATE, None)
        if not by_sort:
            harness.check()  # raises: nothing can happen, yet the job goes on
        sort = draw(st.sampled_from(sorted(by_sort, key=_SORTS.index)))
        late -= sort is Sort.LATE
        event = draw(st.sampled_from(by_sort[sort]))
        harness.apply(event)
        events.append(event)
    return events


_SORTS = [Sort.ANSWER, Sort.RELEASE, Sort.FAULT, Sort.LATE]


@st.composite
def job_histories(
    draw: st.DrawFn, spec: JobSpec, *, faults: bool = True
) -> list[TransitionRecord]:
    """The history of a kernel that ran `spec` on a drawn `job_events` sequence."""
    kernel = Kernel(spec)
    for event in draw(job_events(spec, faults=faults)):
        kernel.handle(event)
    return kernel.history.records()
