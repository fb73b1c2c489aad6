"""Kernel cost: transitions a second through the pure kernel against bare transitions.

What is counted
---------------
A *transition* is one row of a table taken by one component or by the
dispatcher: one record in the job's history. Both sides take exactly the same
transitions, in the same order, on the same tables.

* lifecycle: whole jobs driven through `Kernel.handle`, one event at a time,
  from `Submit` to CLEANED. The events are the ones the local runtime would
  send, recorded once from a first run and then replayed on a fresh kernel per
  job. The timed part is the `handle` calls only; everything the kernel does is
  in it: validation of the event, the `transitions` trigger, the phase
  counters, the history record, the guards of the dispatcher, the commands.
  Logging is left as an application that configured nothing leaves it
  (debug off), and the history is on, as it always is.
* baseline: a plain `transitions.Machine` per table with the job's components
  added as models, the way the library is meant to be used, and the same
  transitions triggered through the methods it adds to each model
  (`model.start()`), looked up before the clock starts. Rows with a guard get
  a condition that reads an attribute of the model, so the library evaluates
  as many conditions as the kernel's machines do. Building the machine and
  adding the models is not timed (it is quadratic in the number of models).

Both sides are timed with `time.thread_time()`, the CPU time of the measuring
thread, which other processes on a shared machine disturb far less than wall
time; they run alternately, 60 jobs a run, best of 7 runs. The ratio is
lifecycle's time per transition over the baseline's.
"""

from __future__ import annotations

import time
from collections import deque

from transitions import Machine

from benchmarks.common import Row, best_of
from lifecycle import events as ev
from lifecycle.history import RawRecord
from lifecycle.kernel import Kernel
from lifecycle.phases import TABLES, Phase
from lifecycle.specs import JobSpec, ServiceSpec, TaskSpec, job_spec


def job(tasks: int, services: int) -> JobSpec:
    """A job of `tasks` task instances (one source) and a chain of services."""
    specs = [
        ServiceSpec(name=f"s{i}", depends_on=(f"s{i - 1}",) if i else ())
        for i in range(services)
    ]
    task_specs = [TaskSpec(name="source", source=True)]
    task_specs += [TaskSpec(name=f"t{i}") for i in range(tasks - 1)]
    return job_spec("kernel-cost", task_specs, specs)


def record_events(spec: JobSpec) -> list[ev.Event]:
    """The events a runtime sends to take `spec` from submit to CLEANED."""
    kernel = Kernel(spec)
    sent: list[ev.Event] = []
    pending: deque[ev.Event] = deque([ev.Submit()])
    ended = False
    while pending:
        event = pending.popleft()
        sent.append(event)
        for command in kernel.handle(event):
            pending.extend(_answer(command))
        if not pending and not ended and kernel.state is Phase.RUNNING:
            ended = True
            for task in kernel.tasks:
                pending.extend((ev.InputEnded(task.name), ev.Drained(task.name)))
    if kernel.state is not Phase.CLEANED:
        raise RuntimeError(f"the recorded job ended {kernel.state.name}")
    return sent


def _answer(command: ev.Command) -> list[ev.Event]:
    if isinstance(command, ev.StartService | ev.StartTask):
        return [ev.Started(command.name)]
    if isinstance(command, ev.StopService):
        return [ev.Stopped(command.name)]
    if isinstance(command, ev.Cleanup):
        return [ev.Cleaned(command.name)]
    return []  # StopSource: the source reports its end as it does anyway


def drive_kernel(spec: JobSpec, events: list[ev.Event]) -> tuple[float, Kernel]:
    """Seconds spent in `handle` for one whole job, and the kernel."""
    kernel = Kernel(spec)
    handle = kernel.handle
    start = time.thread_time()
    for event in events:
        handle(event)
    return time.thread_time() - start, kernel


class _Model:
    """A bare model: a state, and the attribute the guarded rows read."""

    def __init__(self) -> None:
        self.ready = True


def bare_machines(records: list[RawRecord]) -> tuple[list, list[Machine]]:
    """Plain machines with every component added as a model, and the triggers."""
    models: dict[str, _Model] = {}
    machines = []
    for kind, table in TABLES.items():
        names = sorted({r.component for r in records if r.kind is kind})
        members = [models.setdefault(name, _Model()) for name in names]
        machine = Machine(
            model=members or None,
            states=Phase,
            initial=Phase.CREATED,
            auto_transitions=False,
        )
        for row in table:
            conditions = "ready" if row.guard else None
            machine.add_transition(
                row.event, row.source, row.dest, conditions=conditions
            )
        machines.append(machine)
    calls = [getattr(models[r.component], r.event) for r in records]
    return calls, machines


def drive_bare(records: list[RawRecord]) -> float:
    """Seconds to take the same transitions on plain `transitions` machines."""
    calls, _ = bare_machines(records)
    start = time.thread_time()
    for call in calls:
        call()
    return time.thread_time() - start


def run(quick: bool) -> list[Row]:
    """Measure per-transition cost on both sides; return the table's rows."""
    spec = job(tasks=20 if quick else 200, services=5)
    events = record_events(spec)
    _, sample = drive_kernel(spec, events)
    records = sample.history.raw()
    transitions = len(records)
    jobs = 3 if quick else 60

    def kernel_side() -> float:
        return sum(drive_kernel(spec, events)[0] for _ in range(jobs))

    def bare_side() -> float:
        return sum(drive_bare(records) for _ in range(jobs))

    kernel_time, bare_time = best_of(3 if quick else 7, kernel_side, bare_side)
    count = transitions * jobs
    what = (
        f"transitions/s; jobs of {len(spec.tasks)} tasks, {len(spec.services)} "
        f"services: {transitions} transitions, {len(events)} events"
    )
    return [_row(what, kernel_time / count, bare_time / count)]


def _row(what: str, per_kernel: float, per_bare: float) -> Row:
    ratio = per_kernel / per_bare
    return Row(
        case="kernel cost",
        measure=what,
        value=1 / per_kernel,
        unit="/s",
        baseline=1 / per_bare,
        baseline_label="bare Machine, models added",
        ratio=ratio,
        ratio_label="time per transition, kernel / bare",
        goal="ratio <= 1.5",
        met=ratio <= 1.5,
        verdict=(
            f"{per_kernel * 1e6:.1f} us against {per_bare * 1e6:.1f} us a "
            f"transition: {ratio:.2f} times the bare cost (goal: at most 1.5)"
        ),
    )
