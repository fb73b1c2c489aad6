"""lifecycle.testing: its strategies keep to the tables, its plugin finds leaks."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from transitions import MachineError

from lifecycle import LocalEnvironment, Phase
from lifecycle import job as job_module
from lifecycle.job import live_jobs
from lifecycle.kernel import Kernel
from lifecycle.machines import trigger
from lifecycle.phases import Kind, Row
from lifecycle.specs import TaskSpec, job_spec
from lifecycle.testing import (
    LifecycleGuard,
    check_history,
    illegal_steps,
    job_events,
    job_histories,
    job_specs,
    legal_paths,
)
from lifecycle.verify.harness import HarnessViolation
from tests.recording import Journal, Recorded
from tests.standins import Model

pytest_plugins = ["pytester"]

KINDS = st.sampled_from(list(Kind))


def take(kind: Kind, model: Model, row: Row) -> None:
    """Take `row` on `model` through the real machine, its guard made to hold."""
    model.set_up = not (row.guard and row.guard.label == "never set up")
    model.all_cleaned = row.event != "cleanup_failed"
    model.some_failed = row.event == "cleanup_failed"
    model.must_stop = row.event == "stop"
    assert trigger(kind, row.event, model) is True
    assert model.state is row.dest


@settings(max_examples=100, deadline=None)
@given(data=st.data(), kind=KINDS)
def test_legal_paths_are_taken_by_the_machines(data, kind: Kind) -> None:
    """Each drawn path chains from CREATED and every row moves the real machine."""
    complete = data.draw(st.booleans())
    path = data.draw(legal_paths(kind, complete=complete))
    model = Model()
    for row in path:
        take(kind, model, row)
    if complete:
        assert model.state.terminal


@settings(max_examples=100, deadline=None)
@given(data=st.data(), kind=KINDS)
def test_illegal_steps_are_refused_by_the_machines(data, kind: Kind) -> None:
    """The event after a legal path has no row there: the machine refuses it."""
    path, event = data.draw(illegal_steps(kind))
    model = Model()
    for row in path:
        take(kind, model, row)
    phase = model.state
    with pytest.raises(MachineError):
        trigger(kind, event, model)
    assert model.state is phase


@settings(max_examples=60, deadline=None)
@given(data=st.data(), faults=st.booleans())
def test_job_events_drive_a_kernel_to_its_end(data, faults: bool) -> None:
    """Replayed on a fresh kernel, a drawn event sequence ends the job."""
    spec = data.draw(job_specs(max_tasks=4, max_services=3))
    events = data.draw(job_events(spec, faults=faults))
    kernel = Kernel(spec, check=True)
    for event in events:
        kernel.handle(event)
    assert kernel.state.terminal
    assert kernel.outcome is not None


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_job_histories_pass_the_validator(data) -> None:
    """Every drawn history is legal for the dependencies of its job."""
    spec = data.draw(job_specs())
    records = data.draw(job_histories(spec))
    depends_on = {service.name: service.depends_on for service in spec.services}
    assert check_history(records, depends_on) == len(records)


def test_the_guard_names_a_parked_job_and_stops_it() -> None:
    """A job left parked is listed with its running service, then stopped."""
    guard = LifecycleGuard().start()
    try:
        env = LocalEnvironment("left-open", check=True)
        env.register_service("db", Recorded, "db", Journal())
        env.from_batch([1, 2]).sink(lambda item: None)
        job = env.submit(autostop=False)
        job.wait(Phase.STOPPED, timeout=30)
        assert guard.jobs == [job]
        [problem] = guard.check()
        assert problem.startswith("job 'left-open' is STOPPED with ")
        assert "service 'db' RUNNING" in problem
        assert job.state is Phase.CLEANED
        assert guard.check() == []
    finally:
        guard.stop()


def test_the_guard_is_quiet_after_a_with_block() -> None:
    """A job closed by its environment leaves nothing for the guard."""
    guard = LifecycleGuard().start()
    with LocalEnvironment("closed", check=True) as env:
        env.from_batch([1]).sink(lambda item: None)
        job = env.submit()
    assert job.state.terminal and guard.jobs == [] and guard.check() == []
    guard.stop()


PLUGIN_TESTS = """
from lifecycle import LocalEnvironment, Phase
from lifecycle import job as job_module
from lifecycle.job import live_jobs


def leave_parked(name):
    env = LocalEnvironment(name)
    env.register_service("db", dict)
    env.from_batch([1]).sink(lambda item: None)
    env.submit(autostop=False).wait(Phase.STOPPED, timeout=30)


def test_leaks(lifecycle_guard):
    leave_parked("leaky")


def test_closes(lifecycle_guard):
    with LocalEnvironment("tidy") as env:
        env.from_batch([1]).sink(lambda item: None)
        env.submit()
"""

UNGUARDED_TEST = """
from test_jobs import leave_parked


def test_leaks_unguarded():
    leave_parked("unguarded")
"""


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    """A test directory whose conftest enables lifecycle.testing as a plugin."""
    pytester.makeconftest('pytest_plugins = ["lifecycle.testing"]')
    pytester.makepyfile(test_jobs=PLUGIN_TESTS)
    return pytester


#: The plugin module is already imported here, so pytest cannot rewrite it.
QUIET = ("-p", "no:cacheprovider", "-W", "ignore::pytest.PytestAssertRewriteWarning")


def test_the_plugin_fails_only_the_test_that_leaks(suite: pytest.Pytester) -> None:
    """With the fixture, a leaking test errors with the job named; others pass."""
    result = suite.runpytest(*QUIET)
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(
        ["*ERROR at teardown of test_leaks*", "*job 'leaky' is STOPPED with *"]
    )
    assert "service 'db' RUNNING" in result.stdout.str()


@pytest.mark.parametrize("how", ["option", "ini"])
def test_the_option_guards_every_test(suite: pytest.Pytester, how: str) -> None:
    """--lifecycle-guard, or the ini setting, guards tests that did not ask."""
    suite.makepyfile(test_unguarded=UNGUARDED_TEST)
    if how == "ini":
        suite.makeini("[pytest]\nlifecycle_guard = true\n")
        result = suite.runpytest(*QUIET, "test_unguarded.py")
    else:
        result = suite.runpytest(*QUIET, "--lifecycle-guard", "test_unguarded.py")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*job 'unguarded' is STOPPED with *"])


@settings(max_examples=5, deadline=None)
@given(data=st.data())
def test_job_events_surface_a_kernel_that_cannot_end(data) -> None:
    """A kernel that ignores autostop stalls; the strategy raises, naming it."""
    spec = job_spec("stalls", [TaskSpec(name="t1", source=True)])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Kernel, "teardown_wanted", property(lambda k: k.must_stop))
        with pytest.raises(HarnessViolation, match="nothing is left to happen"):
            data.draw(job_events(spec, faults=False))


def test_the_guard_leaves_the_live_job_set_in_place() -> None:
    """start and stop read lifecycle.job's set of live jobs; they never replace it."""
    live = job_module._live_jobs
    guard = LifecycleGuard().start()
    env = LocalEnvironment("guarded", check=True)
    try:
        env.from_batch([1]).sink(lambda item: None)
        job = env.submit(autostop=False)
        assert job_module._live_jobs is live and job in live_jobs()
        guard.stop()
        assert job_module._live_jobs is live and type(live) is set
        assert job in live_jobs()
    finally:
        guard.stop()
        env.close()
    assert job not in live_jobs()
