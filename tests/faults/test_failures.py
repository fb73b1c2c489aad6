"""Failures that meet other faults: hung neighbours, later errors, late siblings."""

from __future__ import annotations

import dataclasses
import logging

import pytest

from lifecycle import Function, JobFailed, LocalEnvironment, Outcome, Phase
from tests.faults.checks import bounded, check_errors, check_raised, finish
from tests.faults.components import (
    FaultyFunction,
    FaultyService,
    FaultySource,
    Hang,
    InjectedError,
)
from tests.faults.rig import LONG, SHORT, End
from tests.recording import Journal


def test_a_failure_bounds_the_drain_of_a_hung_neighbour() -> None:
    """One map instance hangs, another raises: the hung one is forced, abandoned."""
    journal, hang = Journal(), Hang()

    def work(item: int) -> int:
        if item == 0:
            hang.block()
        if item == 5:
            raise InjectedError("item 5")
        return item

    env = LocalEnvironment("hung-neighbour", check=True, stop_timeout=SHORT)
    env.from_batch(FaultySource(journal, None)).map(work, parallelism=2).sink(
        lambda item: None
    )
    job = env.submit(autostop=False)
    assert bounded(job.wait) is Phase.FAILED
    finish(env, job, journal, hangs=[hang], first=InjectedError)

    assert [type(error) for error in job.errors] == [InjectedError, TimeoutError]
    assert len(job.abandoned) == 1 and "map:work[" in job.abandoned[0]
    assert job.stop_reason is not None and "item 5" in str(job.stop_reason)


class FlushOnCleanup(Function):
    """Sends what it saw to `index` when it cleans up, as a buffering sink does."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self.seen: list[int] = []

    def execute(self, item: int) -> None:
        self.seen.append(item)

    def cleanup(self) -> None:
        self.service("index").echo(len(self.seen))
        self.journal.add("sink", "flushed")


@pytest.mark.parametrize("end", list(End))
def test_a_task_cleanup_can_still_call_services(end: End) -> None:
    """Services stop only after every task's cleanup has returned."""
    journal = Journal()
    env = LocalEnvironment(f"flush-{end.value}", check=True, stop_timeout=LONG)
    env.register_service("index", FaultyService, "index", journal)
    count = None if end is End.STOPPED else 20
    env.from_batch(FaultySource(journal, count)).sink(FlushOnCleanup, journal)
    job = env.submit(autostop=False)
    bounded(job.wait, Phase.RUNNING if end is End.STOPPED else Phase.STOPPED)
    bounded(job.stop)
    finish(env, job, journal)

    assert job.outcome is (
        Outcome.CANCELLED if end is End.STOPPED else Outcome.SUCCEEDED
    )
    assert journal.order("flushed") == ["sink"]
    flushed = journal.entries.index(("sink", "flushed"))
    assert flushed < journal.entries.index(("index", "stop"))


def test_later_errors_are_kept_in_order_behind_the_first() -> None:
    """A task error, then a stop error, then a cleanup overrun: all kept, in order."""
    journal, hang = Journal(), Hang()
    env = LocalEnvironment("three-errors", check=True, stop_timeout=LONG)
    env.register_service(
        "db", FaultyService, "db", journal, cleanup=hang, stop_timeout=SHORT
    )
    env.register_service(
        "index", FaultyService, "index", journal,
        depends_on=["db"], stop=InjectedError("index.stop"),
    )  # fmt: skip
    env.from_batch(range(10)).sink(
        FaultyFunction, "sink", journal, at=3, execute=InjectedError("sink")
    )
    with pytest.raises(JobFailed) as caught:
        bounded(env.submit)
    job = caught.value.job
    finish(env, job, journal, hangs=[hang], first=InjectedError)

    assert [str(error) for error in job.errors[:2]] == ["sink", "index.stop"]
    assert isinstance(job.errors[2], TimeoutError) and "'db'" in str(job.errors[2])
    assert [f.component for f in job.failures] == ["sink:FaultyFunction", "index", "db"]
    check_raised(caught.value, job)
    assert "later error in service 'index' while STOPPING" in caught.value.__notes__[0]
    assert job.state is Phase.FAILED and job.outcome is Outcome.FAILED


def test_a_failure_while_draining_after_the_input_ended() -> None:
    """A sink that fails once the input ended still fails the job, first error kept."""
    journal = Journal()
    env = LocalEnvironment("fail-draining", check=True, stop_timeout=LONG)

    def fail_last(item: int) -> None:
        if item == 9:
            # env.jobs holds the job before its first thread starts.
            bounded(env.jobs[0].wait, Phase.STOPPING)
            raise InjectedError("last item")

    env.register_service("index", FaultyService, "index", journal)
    env.from_batch(FaultySource(journal, 10)).sink(fail_last)
    job = env.submit(autostop=False)
    assert bounded(job.wait) is Phase.CLEANED
    finish(env, job, journal, first=InjectedError)

    assert job.outcome is Outcome.FAILED
    assert job.stop_reason is not None and job.stop_reason.origin.name == "INPUT_ENDED"
    assert journal.count("cleanup")["index"] == 1


def test_a_sibling_still_in_setup_is_cleaned_after_a_start_failure() -> None:
    """One service's setup raises while another's is running: the latter is cleaned."""
    journal, hang = Journal(), Hang()
    env = LocalEnvironment("late-sibling", check=True, stop_timeout=LONG)
    env.register_service("slow", FaultyService, "slow", journal, setup=hang)
    env.register_service("broken", FaultyService, "broken", journal,
                         setup=InjectedError("broken"))  # fmt: skip
    env.from_batch(range(3)).sink(FaultyFunction, "sink", journal)
    job = env.submit(autostop=False)
    assert hang.struck.wait(LONG)
    bounded(job.wait, Phase.CLEANING)
    hang.release()
    assert bounded(job.wait) is Phase.CLEANED
    finish(env, job, journal, first=InjectedError)

    assert job.services["slow"].state is Phase.CLEANED
    assert journal.order("stop") == ["slow"]
    assert journal.count("cleanup") == {"slow": 1}


def test_an_abandoned_thread_is_named_and_warned_about(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The overrun logs a warning naming the component and its renamed thread."""
    journal, hang = Journal(), Hang()
    env = LocalEnvironment("warned", check=True)
    env.register_service("index", FaultyService, "index", journal,
                         cleanup=hang, stop_timeout=SHORT)  # fmt: skip
    env.from_batch(range(3)).sink(FaultyFunction, "sink", journal)
    with caplog.at_level(logging.WARNING, logger="lifecycle"), pytest.raises(JobFailed):
        bounded(env.submit)
    job = env.jobs[0]
    finish(env, job, journal, hangs=[hang], first=TimeoutError)

    assert job.abandoned == ["lifecycle:warned:service:index (abandoned)"]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("abandoned" in m and "index" in m for m in warnings)
    assert "0.3 s" in str(job.error) and "CLEANING" in str(job.error)


def test_a_setup_that_returns_after_its_deadline_is_released_not_started() -> None:
    """Once abandoned, a late setup is followed by cleanup, and start() never runs."""
    journal, hang = Journal(), Hang()
    env = LocalEnvironment("late-setup", check=True)
    env.register_service("index", FaultyService, "index", journal,
                         setup=hang, start_timeout=SHORT)  # fmt: skip
    env.from_batch(range(3)).sink(FaultyFunction, "sink", journal)
    job = env.submit(autostop=False)
    assert bounded(job.wait) is Phase.FAILED
    finish(env, job, journal, hangs=[hang], first=TimeoutError)

    assert [what for who, what in journal.entries if who == "index"] == [
        "setup", "setup returned", "cleanup", "cleanup returned",
    ]  # fmt: skip


class Unprintable(Exception):
    """An error whose repr() and str() raise, as a careless user error may."""

    def __repr__(self) -> str:
        raise RuntimeError("repr failed")

    def __str__(self) -> str:
        raise RuntimeError("str failed")


def test_an_error_whose_repr_raises_still_fails_the_job_cleanly() -> None:
    """The kernel records it by its type name; JobFailed is raised as usual."""
    journal = Journal()
    env = LocalEnvironment("unprintable", check=True)
    env.register_service("index", FaultyService, "index", journal,
                         cleanup=Unprintable())  # fmt: skip
    env.from_batch(range(5)).map(lambda item: 1 / 0).sink(lambda item: None)
    with pytest.raises(JobFailed) as caught:
        bounded(env.submit)
    job = caught.value.job
    finish(env, job, journal, first=ZeroDivisionError)

    assert isinstance(job.errors[1], Unprintable)
    assert "Unprintable whose repr() raised" in caught.value.__notes__[0]
    assert job.state is Phase.FAILED


@pytest.mark.parametrize("kind", ["service", "task"])
def test_a_constructor_that_raises_is_a_setup_that_raised(kind: str) -> None:
    """The object was never built, so nothing is cleaned; the job fails."""
    journal = Journal()

    class Unbuildable(FaultyService, FaultyFunction):
        def __init__(self, *args: object) -> None:
            raise InjectedError(f"{kind} constructor")

    env = LocalEnvironment(f"constructor-{kind}", check=True)
    env.register_service("index", FaultyService, "index", journal)
    if kind == "service":
        env.register_service("broken", Unbuildable)
        env.from_batch(range(3)).sink(lambda item: None)
    else:
        env.from_batch(range(3)).map(Unbuildable).sink(lambda item: None)
    with pytest.raises(JobFailed, match=f"{kind} constructor"):
        bounded(env.submit)
    job = env.jobs[0]
    finish(env, job, journal, first=InjectedError)

    assert journal.count("cleanup")["index"] == 1
    assert all(view.state is Phase.CLEANED for view in job.tasks.values())


@pytest.mark.parametrize("kind", ["service", "task"])
def test_a_thread_that_cannot_be_started_fails_the_job(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Out of threads: the component's setup failed with that error; no hang."""
    from lifecycle.runtime.services import ServiceRunner
    from lifecycle.runtime.tasks import TaskRunner

    runner = ServiceRunner if kind == "service" else TaskRunner
    refused = "index" if kind == "service" else "sink:FaultyFunction"
    real_start = runner.start

    def start(self) -> None:
        if self.name == refused:
            raise RuntimeError("can't start new thread")
        real_start(self)

    monkeypatch.setattr(runner, "start", start)
    journal = Journal()
    env = LocalEnvironment(f"no-thread-{kind}", check=True)
    env.register_service("db", FaultyService, "db", journal)
    env.register_service("index", FaultyService, "index", journal)
    env.from_batch(range(3)).sink(FaultyFunction, "sink", journal)
    with pytest.raises(JobFailed, match="can't start new thread"):
        bounded(env.submit)
    job = env.jobs[0]
    finish(env, job, journal, first=RuntimeError)

    view = job.services["index"] if kind == "service" else job.tasks[refused]
    assert view.state is Phase.CLEANED and view.error is job.error
    assert journal.count("cleanup")["db"] == 1


def test_a_job_whose_driver_cannot_start_is_not_left_for_the_exit_net(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """submit raises the thread error; close and the exit net do not wait on it."""
    from lifecycle import job as job_module
    from lifecycle.runtime.driver import Driver

    def start(self, first) -> None:
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(Driver, "start", start)
    env = LocalEnvironment("no-driver", check=True)
    env.from_batch(range(3)).sink(lambda item: None)
    with pytest.raises(RuntimeError, match="can't start new thread"):
        env.submit()
    bounded(env.close)
    assert env.jobs == []
    assert not [job for job in job_module.live_jobs() if job.name == "no-driver"]


def test_check_errors_catches_an_error_not_tied_to_its_transition() -> None:
    """The fault cases' error check fails for a wrong cause, phase or order."""
    journal = Journal()
    env = LocalEnvironment("tied-errors", check=True)
    env.register_service(
        "index", FaultyService, "index", journal, cleanup=InjectedError("cleanup")
    )
    env.from_batch(range(3)).map(
        FaultyFunction, "map", journal, execute=InjectedError("execute")
    ).sink(lambda item: None)
    with pytest.raises(JobFailed) as caught:
        bounded(env.submit)
    job = caught.value.job
    finish(env, job, journal, first=InjectedError)
    real = list(job._kernel.errors)
    assert len(real) == 2

    first, later = real
    for wrong in (
        [dataclasses.replace(first, cause=first.cause + 1), later],
        [first, dataclasses.replace(later, phase=Phase.RUNNING)],
        [later, first],
    ):
        job._kernel.errors[:] = wrong
        with pytest.raises(AssertionError):
            check_errors(job, InjectedError)
    job._kernel.errors[:] = real
    check_errors(job, InjectedError)
