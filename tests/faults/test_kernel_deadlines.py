"""The kernel gives every stop of the work a deadline: a stop, or a failure."""

from __future__ import annotations

from lifecycle import Phase
from lifecycle import events as ev
from lifecycle.events import StopOrigin, StopReason
from lifecycle.kernel import Kernel
from lifecycle.specs import ServiceSpec, TaskSpec, job_spec

ASKED = StopReason(StopOrigin.ASKED)


def running_kernel() -> Kernel:
    """A job (source -> two maps, one service) with every component RUNNING."""
    spec = job_spec(
        "deadlines",
        [
            TaskSpec(name="source", source=True),
            TaskSpec(name="map[0]"),
            TaskSpec(name="map[1]"),
        ],
        [ServiceSpec(name="index")],
        drain_timeout=7.0,
    )
    kernel = Kernel(spec, check=True)
    for event in (ev.Submit(), ev.Started("index")):
        kernel.handle(event)
    for task in ("source", "map[0]", "map[1]"):
        kernel.handle(ev.Started(task))
    assert kernel.state is Phase.RUNNING
    return kernel


def deadlines(commands: list[ev.Command]) -> list[float]:
    return [c.timeout for c in commands if isinstance(c, ev.ArmDrainDeadline)]


def test_a_failure_while_tasks_work_arms_the_drain_deadline_once() -> None:
    """The first error arms the job's drain deadline; a second error does not."""
    kernel = running_kernel()
    assert deadlines(kernel.handle(ev.TaskFailed("map[0]", ValueError("a")))) == [7.0]
    assert deadlines(kernel.handle(ev.TaskFailed("map[1]", ValueError("b")))) == []


def test_the_drain_deadline_of_a_failure_forces_the_tasks_left() -> None:
    """When it runs out, the tasks still draining are forced with a deadline."""
    kernel = running_kernel()
    kernel.handle(ev.TaskFailed("map[0]", ValueError("a")))
    commands = kernel.handle(ev.DrainOverran(7.0))
    forced = [c.name for c in commands if isinstance(c, ev.ForceStopTask)]
    assert forced == ["source", "map[1]"]
    assert kernel.forced


def test_a_stop_with_no_time_to_drain_forces_at_once() -> None:
    """stop(timeout=0) arms a deadline of 0 s, not the job's default."""
    kernel = running_kernel()
    assert deadlines(kernel.handle(ev.StopRequested(ASKED, 0.0))) == [0.0]


def test_a_stop_without_a_timeout_uses_the_jobs_drain_timeout() -> None:
    """stop() with timeout None drains for the job's drain_timeout."""
    kernel = running_kernel()
    assert deadlines(kernel.handle(ev.StopRequested(ASKED))) == [7.0]


def test_a_second_stop_with_a_deadline_arms_it_and_changes_nothing_else() -> None:
    """A duplicate stop is a no-op record, but its deadline still counts."""
    kernel = running_kernel()
    kernel.handle(ev.StopRequested(ASKED, 30.0))
    before = {name: c.state for name, c in kernel.components.items()}
    assert deadlines(kernel.handle(ev.StopRequested(ASKED, 0.5))) == [0.5]
    assert deadlines(kernel.handle(ev.StopRequested(ASKED))) == []
    assert {name: c.state for name, c in kernel.components.items()} == before
    records = kernel.history.records()[-2:]
    assert all(r.noop and r.event == "stop" for r in records)
    assert "drain deadline 0.5 s armed" in records[0].detail


def test_a_failure_after_a_stop_arms_no_second_deadline() -> None:
    """The stop's deadline already bounds the drain."""
    kernel = running_kernel()
    kernel.handle(ev.StopRequested(ASKED, 30.0))
    assert deadlines(kernel.handle(ev.TaskFailed("map[1]", ValueError("x")))) == []
