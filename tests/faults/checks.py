"""What every fault case asserts once its job has ended.

`finish` runs the checks in the order a case needs them: the job is terminal
within a bound, its history chains without gaps, each error is tied to the
transition its event caused (in the errors' order), no thread of it is left
running but the abandoned ones (which it lists); then the
hangs are released, the abandoned threads come back and end, and cleanup has
run exactly once for every component whose setup returned.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterable
from typing import Any

from lifecycle import TERMINAL, Job, JobFailed, LocalEnvironment, Phase
from tests.faults.components import Hang
from tests.recording import Journal

#: The longest any wait of a fault case may take; longer means it hung.
BOUND = 10.0


def bounded(call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a blocking call on a helper thread; fail if it takes over `BOUND` s.

    Returns what the call returned; raises what it raised.
    """
    result: dict[str, Any] = {}

    def run() -> None:
        try:
            result["value"] = call(*args, **kwargs)
        except BaseException as error:
            result["error"] = error

    helper = threading.Thread(target=run, name="test:bounded", daemon=True)
    helper.start()
    helper.join(BOUND)
    assert not helper.is_alive(), f"{call.__name__} still blocked after {BOUND} s"
    if "error" in result:
        raise result["error"]
    return result.get("value")


def check_history(job: Job) -> None:
    """Each component's transitions chain from CREATED to a terminal phase."""
    records = job.history
    assert [r.seq for r in records] == sorted({r.seq for r in records})
    names = {"dispatcher", *job.services, *job.tasks}
    assert {r.component for r in records} == names
    for name in names:
        moves = [r for r in records if r.component == name and not r.noop]
        assert moves[0].source is Phase.CREATED, name
        for before, after in itertools.pairwise(moves):
            assert before.dest is after.source, f"{name}: gap {before} -> {after}"
        assert moves[-1].dest in TERMINAL, f"{name} ended {moves[-1].dest}"
    dispatcher = [r.dest for r in records if r.component == "dispatcher"]
    assert dispatcher[-1] is job.state


def check_errors(job: Job, first: type[BaseException] | None) -> None:
    """The first error is the job's error; each is tied to the move it caused.

    An error's `cause` is the number of the event that reported it, and that
    event moved the component out of the error's `phase`: the history must
    hold that transition, and the errors' transitions come in their order.
    """
    if first is None:
        assert job.error is None and job.errors == []
        return
    assert isinstance(job.error, first), f"first error {job.error!r}"
    assert job.errors[0] is job.error
    records = job.history
    recorded_at = []
    for failure in job.failures:
        moves = [
            record.seq
            for record in records
            if record.cause == failure.cause
            and record.component == failure.component
            and record.source is failure.phase
            and not record.noop
        ]
        assert moves, (
            f"{failure.component!r}: no transition out of {failure.phase.name} "
            f"caused by event {failure.cause} for {failure.error!r}"
        )
        recorded_at.append(moves[0])
    assert recorded_at == sorted(set(recorded_at)), f"out of order: {recorded_at}"


def check_raised(raised: JobFailed, job: Job) -> None:
    """`JobFailed` has the first error as cause and the later ones as notes."""
    assert raised.job is job
    assert raised.__cause__ is job.error
    notes = getattr(raised, "__notes__", [])
    assert len(notes) == len(job.errors) - 1
    for note, later in zip(notes, job.errors[1:], strict=True):
        assert repr(later) in note


def threads_of(job: Job) -> list[threading.Thread]:
    """The job's threads still alive, found by their names."""
    prefix = f"lifecycle:{job.name}:"
    return [t for t in threading.enumerate() if t.name.startswith(prefix)]


def check_threads(job: Job) -> None:
    """Only abandoned threads are left, and the job lists exactly those."""
    abandoned = [name for name, view in _views(job) if view.abandoned]
    assert len(job.abandoned) == len(abandoned)
    for name in abandoned:
        assert any(name in thread for thread in job.abandoned), name
    alive = {thread.name for thread in threads_of(job)}
    assert alive <= set(job.abandoned), f"left running: {alive - set(job.abandoned)}"


def release(hangs: Iterable[Hang], job: Job) -> None:
    """Let every hung hook return, then wait for the job's threads to end."""
    for hang in hangs:
        hang.release()
    for thread in threads_of(job):
        thread.join(BOUND)
        assert not thread.is_alive(), f"{thread.name} did not end once released"


def check_cleanups(journal: Journal) -> None:
    """Cleanup ran once for each setup that returned, and never otherwise.

    Components are told apart by the name they journal under; a name used by
    several jobs counts one setup and one cleanup per job.
    """
    set_up = journal.count("setup returned")
    cleanups = journal.count("cleanup")
    for who in {who for who, _ in journal.entries}:
        assert cleanups[who] == set_up[who], f"{who}: {cleanups[who]} cleanups"


def finish(
    env: LocalEnvironment,
    job: Job,
    journal: Journal,
    *,
    hangs: Iterable[Hang] = (),
    first: type[BaseException] | None = None,
) -> None:
    """Close the environment, then make every check a fault case makes."""
    bounded(env.close)
    assert job.state.terminal
    assert (job.outcome is not None) and job.state in TERMINAL
    check_history(job)
    check_errors(job, first)
    check_threads(job)
    release(hangs, job)
    check_cleanups(journal)


def _views(job: Job):
    yield from job.services.items()
    yield from job.tasks.items()
