"""The matrix for services: each hook of `db` or `index` raises or hangs.

`db` is needed by `index`, which `map` calls. Each case runs the job to its end
three ways (a batch with autostop, a parked job stopped, an endless job
stopped) and makes every check of `tests.faults.checks.finish`.
"""

from __future__ import annotations

import itertools

import pytest

from lifecycle import Outcome, Phase
from tests.faults.checks import check_raised, finish
from tests.faults.rig import AT, SERVICES, End, Rig, fault

HOOKS = ("setup", "start", "stop", "cleanup")
CASES = list(itertools.product(SERVICES, HOOKS, ("raises", "hangs"), End))


def expected_phase(hook: str, kind: str) -> Phase:
    """The phase a service ends in: FAILED if its cleanup could not complete."""
    return Phase.FAILED if kind == "hangs" or hook == "cleanup" else Phase.CLEANED


@pytest.mark.parametrize(("who", "hook", "kind", "end"), CASES)
def test_a_service_fault_ends_the_job_failed_and_releases_everything(
    who: str, hook: str, kind: str, end: End
) -> None:
    """The job ends FAILED with the fault's error first; all else is cleaned."""
    rig = Rig(who, hook, fault(kind), end)
    job, raised = rig.run()
    finish(rig.env, job, rig.journal, hangs=rig.hangs, first=rig.first_error)

    phase = expected_phase(hook, kind)
    assert job.outcome is Outcome.FAILED
    assert job.state is (Phase.FAILED if phase is Phase.FAILED else Phase.CLEANED)
    assert job.services[who].state is phase
    assert job.services[who].error is job.error
    assert job.services[who].abandoned is (kind == "hangs")
    others = [v for n, v in [*job.services.items(), *job.tasks.items()] if n != who]
    assert all(view.state is Phase.CLEANED for view in others)
    if end is End.BATCH:
        assert raised is not None
        check_raised(raised, job)


@pytest.mark.parametrize(("who", "hook", "kind"), [
    (who, hook, kind)
    for who, hook, kind, end in CASES
    if hook in ("setup", "start") and end is End.BATCH
])  # fmt: skip
def test_a_start_failure_rolls_back_and_runs_no_task(
    who: str, hook: str, kind: str
) -> None:
    """Started services are cleaned in reverse order; no task is even set up."""
    rig = Rig(who, hook, fault(kind), End.BATCH)
    job, _ = rig.run()
    finish(rig.env, job, rig.journal, hangs=rig.hangs, first=rig.first_error)

    assert not {"source", "map", "sink"} & {who for who, _ in rig.journal.entries}
    assert rig.out == []
    # An abandoned service cleans up by itself once released, so after db.
    kept = [n for n in ("index", "db") if not job.services[n].abandoned]
    set_up = [n for n in kept if n in rig.journal.order("setup returned")]
    assert [n for n in rig.journal.order("cleanup") if n in kept] == set_up
    if who == "db":
        assert "index" not in rig.journal.order("setup")
    assert all(view.state is Phase.CLEANED for view in job.tasks.values())


@pytest.mark.parametrize(("who", "kind", "end"), [
    (who, kind, end)
    for who, hook, kind, end in CASES
    if hook in ("stop", "cleanup") and end is not End.STOPPED
])  # fmt: skip
@pytest.mark.parametrize("hook", ["stop", "cleanup"])
def test_a_teardown_fault_loses_no_item_and_keeps_the_stop_order(
    who: str, hook: str, kind: str, end: End
) -> None:
    """Every item arrived; index stops before db even when one of them fails."""
    rig = Rig(who, hook, fault(kind), end)
    job, _ = rig.run()
    finish(rig.env, job, rig.journal, hangs=rig.hangs, first=rig.first_error)

    assert rig.out == list(range(20))
    assert rig.journal.order("stop")[:2] == ["index", "db"]
    assert job.services["index"].state is not Phase.RUNNING
    assert AT in rig.out
