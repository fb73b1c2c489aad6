"""The matrix for tasks: each hook of the source, `map` or `sink` raises or hangs.

The source's setup is `iter()` and its work is `next()`; the operators have
`setup`, `execute` (the fault strikes on item `AT`) and `cleanup`. A hang in
the work has no deadline of its own, so it is only ended by a stop: the tasks
get the stop's drain deadline, then are forced, then abandoned.
"""

from __future__ import annotations

import pytest

from lifecycle import Outcome, Phase
from tests.faults.checks import check_raised, finish
from tests.faults.rig import AT, End, Rig, fault

HOOKS = {
    "source": ("iter", "next"),
    "map": ("setup", "execute", "cleanup"),
    "sink": ("setup", "execute", "cleanup"),
}


def runs_out(hook: str, kind: str, end: End) -> bool:
    """A hang in the work ends only if the job is stopped."""
    return not (
        hook in ("execute", "next") and kind == "hangs" and end is not End.STOPPED
    )


CASES = [
    (who, hook, kind, end)
    for who, hooks in HOOKS.items()
    for hook in hooks
    for kind in ("raises", "hangs")
    for end in End
    if runs_out(hook, kind, end)
]


def expected_phase(hook: str, kind: str) -> Phase:
    """FAILED if the task was abandoned or its cleanup raised; else CLEANED."""
    return Phase.FAILED if kind == "hangs" or hook == "cleanup" else Phase.CLEANED


def task_named(job, who: str):
    (view,) = [view for name, view in job.tasks.items() if name.split(":")[0] == who]
    return view


@pytest.mark.parametrize(("who", "hook", "kind", "end"), CASES)
def test_a_task_fault_ends_the_job_failed_and_releases_everything(
    who: str, hook: str, kind: str, end: End
) -> None:
    """The job ends FAILED with the fault's error first; services are cleaned."""
    rig = Rig(who, hook, fault(kind), end)
    job, raised = rig.run()
    finish(rig.env, job, rig.journal, hangs=rig.hangs, first=rig.first_error)

    phase = expected_phase(hook, kind)
    view = task_named(job, who)
    assert job.outcome is Outcome.FAILED
    assert job.state is (Phase.FAILED if phase is Phase.FAILED else Phase.CLEANED)
    assert view.state is phase and view.error is job.error
    assert view.abandoned is (kind == "hangs")
    assert all(s.state is Phase.CLEANED for s in job.services.values())
    others = [v for v in job.tasks.values() if v is not view]
    assert all(v.state is Phase.CLEANED for v in others)
    if end is End.BATCH:
        assert raised is not None
        check_raised(raised, job)


@pytest.mark.parametrize("who", ["source", "map", "sink"])
@pytest.mark.parametrize("end", [End.BATCH, End.PARKED])
def test_a_work_failure_loses_no_item_before_it(who: str, end: End) -> None:
    """Every item before the failing one reached the sink, in order."""
    hook = "next" if who == "source" else "execute"
    rig = Rig(who, hook, fault("raises"), end)
    job, _ = rig.run()
    finish(rig.env, job, rig.journal, first=rig.first_error)

    assert rig.out == list(range(AT))
    assert job.failures[0].component.split(":")[0] == who


@pytest.mark.parametrize("who", ["map", "sink"])
def test_a_cleanup_failure_after_a_good_batch_loses_nothing(who: str) -> None:
    """The work succeeded, so every item arrived; the cleanup error fails the job."""
    rig = Rig(who, "cleanup", fault("raises"), End.BATCH)
    job, _ = rig.run()
    finish(rig.env, job, rig.journal, first=rig.first_error)

    assert rig.out == list(range(20))
    assert job.errors == [job.error]
