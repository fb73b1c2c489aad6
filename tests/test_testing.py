"""lifecycle.testing: its strategies keep to the tables, its plugin finds leaks."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from transitions import MachineError

from lifecycle import LocalEnvironment, Phase
from lifecycle.kernel import Kernel
from lifecycle.machines import trigger
from lifecycle.phases import Kind, Row
from lifecycle.testing import (
    LifecycleGuard,
    check_history,
    illegal_steps,
    job_events,
    job_histories,
    job_specs,
    legal_paths,
)
from tests.recording import Journal, Recorded

KINDS = st.sampled_from(list(Kind))


@dataclass
class Model:
    """A component or kernel stand-in whose guards hold for the row taken."""

    state: Phase = Phase.CREATED
    set_up: bool = True
    all_started: bool = True
    must_stop: bool = True
    input_ended: bool = True
    tasks_stopped: bool = True
    teardown_wanted: bool = True
    all_cleaned: bool = True
    some_failed: bool = True


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
    assert guard.jobs == [job] and guard.check() == []
    guard.stop()


PLUGIN_TESTS = """
from lifecycle import LocalEnvironment, Phase


def leave_parked(name):
    env = LocalEnvironment(name)
    env.register_service("db", dict)
    env.from_batch([1]).sink(lambda item: None)
    env.submit(autostop=False).wait(Phase.STOPPED, timeout=30)
    return env


def test_leaks(lifecycle_guard):
    leave_parked("leaky")


def test_closes(lifecycle_guard):
    with LocalEnvironment("tidy") as env:
        env.from_batch([1]).sink(lambda item: None)
        env.submit()


def test_leaks_unguarded():
    leave_parked("unguarded")
"""


def run_pytest(tmp_path: Path, *args: str) -> tuple[int, str]:
    """Run pytest on PLUGIN_TESTS with lifecycle.testing as a plugin."""
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["lifecycle.testing"]\n')
    (tmp_path / "test_jobs.py").write_text(textwrap.dedent(PLUGIN_TESTS))
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-rA", "-p", "no:cacheprovider", *args],
        cwd=tmp_path, capture_output=True, text=True, timeout=90,
    )  # fmt: skip
    return done.returncode, done.stdout


def test_the_plugin_fails_only_the_test_that_leaks(tmp_path: Path) -> None:
    """With the fixture, a leaking test errors with the job named; others pass."""
    code, out = run_pytest(tmp_path)
    assert code == 1
    assert "ERROR test_jobs.py::test_leaks - " in out
    assert "job 'leaky' is STOPPED with " in out and "service 'db' RUNNING" in out
    assert "PASSED test_jobs.py::test_closes" in out
    assert "PASSED test_jobs.py::test_leaks_unguarded" in out


def test_the_option_guards_every_test(tmp_path: Path) -> None:
    """--lifecycle-guard applies the fixture to tests that do not ask for it."""
    code, out = run_pytest(tmp_path, "--lifecycle-guard")
    assert code == 1
    assert "ERROR test_jobs.py::test_leaks_unguarded - " in out
    assert "job 'unguarded' is STOPPED with " in out
