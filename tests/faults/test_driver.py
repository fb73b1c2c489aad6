"""The driver applies a report already queued before a deadline that is due."""

from __future__ import annotations

from lifecycle import Phase
from lifecycle import events as ev
from lifecycle.kernel import Kernel
from lifecycle.runtime.driver import Driver
from lifecycle.specs import ServiceSpec, job_spec
from tests.faults.checks import BOUND


def test_a_report_queued_before_a_due_deadline_is_not_overtaken_by_it() -> None:
    """A service that reported Started in time is not abandoned by a busy driver."""
    kernel = Kernel(job_spec("driver", [], [ServiceSpec(name="index")]), check=True)
    driver: Driver

    def execute(command: ev.Command) -> None:
        """Answer each command at once, as a fast service would."""
        if isinstance(command, ev.StartService):
            # The deadline falls due while the driver is still busy here,
            # and the report that beats it is already queued.
            driver.arm(0.0, ev.Overran("index", Phase.STARTING, command.timeout))
            driver.report(ev.Started("index"))
        elif isinstance(command, ev.StopService):
            driver.report(ev.Stopped("index"))
        elif isinstance(command, ev.Cleanup):
            driver.report(ev.Cleaned("index"))

    driver = Driver(kernel, execute)
    driver.start(ev.Submit())
    assert driver.wait_for(lambda: driver.phase.terminal, BOUND)
    driver.thread.join(BOUND)

    assert kernel.state is Phase.CLEANED
    assert kernel.components["index"].state is Phase.CLEANED
    assert kernel.errors == []


def test_helpers_that_cannot_start_leave_the_starting_to_the_driver(
    monkeypatch,
) -> None:
    """No thread for a starter helper: the driver starts the tasks itself."""
    import threading

    from lifecycle import LocalEnvironment, Outcome

    real_start = threading.Thread.start

    def start(thread: threading.Thread) -> None:
        if thread.name.endswith(":starter"):
            raise RuntimeError("can't start new thread")
        real_start(thread)

    monkeypatch.setattr(threading.Thread, "start", start)
    out: list[int] = []
    with LocalEnvironment("no-helpers", check=True) as env:
        env.from_batch(range(100)).map(abs, parallelism=8).sink(out.append)
        job = env.submit()
    assert job.outcome is Outcome.SUCCEEDED
    assert sorted(out) == list(range(100))


def test_threads_that_were_never_started_are_abandoned_at_their_deadline(
    monkeypatch,
) -> None:
    """If starting threads fails outright, start deadlines still end the job."""
    from lifecycle import JobFailed, LocalEnvironment, Outcome
    from lifecycle.runtime.starter import ThreadStarter

    def broken(self) -> None:
        raise RuntimeError("seeded starter bug")

    monkeypatch.setattr(ThreadStarter, "flush", broken)
    with LocalEnvironment("never-started", start_timeout=0.3, check=True) as env:
        env.from_batch(range(3)).sink(print)
        try:
            env.submit()
        except JobFailed as failure:
            job = failure.job
    assert job.outcome is Outcome.FAILED
    assert isinstance(job.error, TimeoutError)
    assert job.state is Phase.FAILED


def test_a_driver_bug_outside_the_kernel_wakes_waiters_with_an_error(
    monkeypatch,
) -> None:
    """An exception while publishing a phase raises LifecycleError, no hang."""
    import pytest

    from lifecycle import LifecycleError, LocalEnvironment

    def broken(self) -> None:
        raise RuntimeError("seeded publish bug")

    monkeypatch.setattr(Driver, "_publish", broken)
    with LocalEnvironment("publish-bug") as env:
        env.from_batch(range(3)).sink(print)
        with pytest.raises(LifecycleError, match="bug in lifecycle") as caught:
            env.submit()
    assert isinstance(caught.value.__cause__, RuntimeError)
