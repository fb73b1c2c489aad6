"""Configuration errors: refused before anything starts, naming what to fix."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

import lifecycle
from lifecycle import (
    ConfigError,
    Function,
    JobFailed,
    LocalEnvironment,
    Outcome,
    Phase,
)
from tests.faults.components import FaultyService
from tests.recording import Journal


def refused(attempt: Callable[[], Any]) -> ConfigError:
    """Run `attempt`; return the ConfigError it raised, which is a ValueError."""
    with pytest.raises(ConfigError) as caught:
        attempt()
    assert isinstance(caught.value, ValueError)
    return caught.value


def nothing_started(env: LocalEnvironment, journal: Journal) -> bool:
    """No job ran, no hook ran, and no thread of the environment exists."""
    prefix = f"lifecycle:{env.name}"
    threads = [t for t in threading.enumerate() if t.name.startswith(prefix)]
    return not env.jobs and not journal.entries and not threads


def test_a_duplicate_service_name_is_refused_at_registration() -> None:
    """The second registration of a name fails, naming it and the fix."""
    env = LocalEnvironment("dup")
    env.register_service("index", FaultyService, "index", Journal())
    error = refused(lambda: env.register_service("index", FaultyService))
    assert (error.component, error.field) == ("index", "name")
    assert "'index' is already registered" in str(error)
    assert "give each service its own name" in str(error)


def test_an_unknown_dependency_is_refused_at_submit_and_can_be_fixed() -> None:
    """Submit names the service and the missing one; registering it fixes it."""
    journal = Journal()
    with LocalEnvironment("unknown-dep", check=True) as env:
        env.register_service("index", FaultyService, "index", journal,
                             depends_on=["db"])  # fmt: skip
        env.from_batch(range(3)).sink(lambda item: None)
        error = refused(env.submit)
        assert (error.component, error.field) == ("index", "depends_on")
        assert "'index' depends on 'db', which is not registered" in str(error)
        assert "register it before submit or fix the name" in str(error)
        assert "(registered services: 'index')" in str(error)
        assert nothing_started(env, journal)

        env.register_service("db", FaultyService, "db", journal)
        job = env.submit()
    assert job.outcome is Outcome.SUCCEEDED
    assert journal.order("setup") == ["db", "index"]


@pytest.mark.parametrize(
    ("needs", "chain"),
    [
        (
            {"a": ["b"], "b": ["c"], "c": ["a"]},
            "'a' depends on 'b', which depends on 'c', which depends on 'a'",
        ),
        (
            {"z": ["y"], "x": ["z"], "y": ["x"], "w": ["x"]},
            "'z' depends on 'y', which depends on 'x', which depends on 'z'",
        ),
        ({"a": ["a"]}, "'a' depends on 'a'"),
    ],
)
def test_a_dependency_cycle_is_refused_at_submit_naming_its_members(
    needs: dict[str, list[str]], chain: str
) -> None:
    """The message follows the cycle in depends-on order and says what to remove."""
    journal = Journal()
    env = LocalEnvironment("cycle")
    for name, depends_on in needs.items():
        env.register_service(name, FaultyService, name, journal, depends_on=depends_on)
    env.from_batch(range(3)).sink(lambda item: None)
    error = refused(env.submit)
    assert error.field == "depends_on"
    assert "cycle" in str(error) and "remove one" in str(error)
    assert chain in str(error)
    assert error.component == chain[1]
    assert nothing_started(env, journal)


def test_registering_after_submit_is_refused() -> None:
    """A service registered after a job was submitted would never be started."""
    with LocalEnvironment("late") as env:
        env.from_batch(range(3)).sink(lambda item: None)
        env.submit()
        error = refused(lambda: env.register_service("late", FaultyService))
    assert error.component == "late"
    assert "register services before the first submit" in str(error)


def test_a_service_named_like_a_task_is_refused_naming_both() -> None:
    """A service called 'source' collides with the source task of the job."""
    env = LocalEnvironment("collide")
    env.register_service("source", FaultyService)
    env.from_batch(range(3)).sink(lambda item: None)
    error = refused(env.submit)
    assert error.component == "source"
    assert "service" in str(error) and "task" in str(error)


SERVICE_ARGUMENTS = [
    ({"stop_timeout": -1.0}, "stop_timeout", "greater than 0"),
    ({"start_timeout": 0}, "start_timeout", "greater than 0"),
    ({"stop_timeout": float("nan")}, "stop_timeout", "finite"),
    ({"stop_timeout": "10"}, "stop_timeout", "valid number"),
    ({"depends_on": "db"}, "depends_on", "list of service names"),
    ({"depends_on": [1]}, "depends_on.0", "valid string"),
]


@pytest.mark.parametrize(("given", "field", "says"), SERVICE_ARGUMENTS)
def test_a_wrong_service_argument_names_the_service_and_the_field(
    given: dict[str, Any], field: str, says: str
) -> None:
    """pydantic refuses it at register_service; the message names both."""
    env = LocalEnvironment("service-args")
    error = refused(lambda: env.register_service("index", FaultyService, **given))
    assert error.field == field
    assert f"service 'index': {field}" in str(error) and says in str(error)


ENVIRONMENT_ARGUMENTS = [
    ({"stop_timeout": 0}, "stop_timeout"),
    ({"start_timeout": "30"}, "start_timeout"),
    ({"call_timeout": float("inf")}, "call_timeout"),
    ({"queue_size": 0}, "queue_size"),
    ({"queue_size": True}, "queue_size"),
    ({"check": "yes"}, "check"),
]


@pytest.mark.parametrize(("given", "field"), ENVIRONMENT_ARGUMENTS)
def test_a_wrong_environment_argument_names_the_field(
    given: dict[str, Any], field: str
) -> None:
    """The environment's options are checked when it is built."""
    error = refused(lambda: LocalEnvironment("env-args", **given))
    assert error.field == field
    assert f"environment: {field}" in str(error) and "fix that argument" in str(error)


@pytest.mark.parametrize("parallelism", [0, -2, 2.0, True, "2"])
def test_a_wrong_parallelism_names_the_operator_and_the_field(
    parallelism: Any,
) -> None:
    """parallelism must be an int of at least 1."""
    env = LocalEnvironment("parallelism")
    stream = env.from_batch(range(3))
    error = refused(lambda: stream.map(len, parallelism=parallelism))
    assert error.field == "parallelism"
    assert str(error).startswith("map:len: parallelism:")


@pytest.mark.parametrize("items", [42, "text", b"bytes", None])
def test_a_source_that_is_not_an_iterable_of_items_is_refused(items: Any) -> None:
    """from_batch takes an iterable of items, not a string or a scalar."""
    env = LocalEnvironment("source")
    error = refused(lambda: env.from_batch(items))
    assert "from_batch takes an iterable of items" in str(error)


def test_an_operator_that_is_not_callable_is_refused() -> None:
    """map(42) names the operator and what it expected."""
    env = LocalEnvironment("operator")
    error = refused(lambda: env.from_batch(range(3)).map(42))
    assert "expected a callable or a class" in str(error)


def test_a_wrong_autostop_is_refused_before_anything_starts() -> None:
    """submit(autostop='no') is refused, rather than read as True or False."""
    journal = Journal()
    env = LocalEnvironment("autostop")
    env.register_service("index", FaultyService, "index", journal)
    env.from_batch(range(3)).sink(lambda item: None)
    error = refused(lambda: env.submit(autostop="no"))
    assert error.field == "autostop"
    assert nothing_started(env, journal)


def test_wait_and_stop_refuse_wrong_arguments() -> None:
    """wait() takes a Phase; stop() takes seconds or None; the job goes on."""
    with LocalEnvironment("job-args", check=True) as env:
        env.from_batch(range(3)).sink(lambda item: None)
        job = env.submit(autostop=False)
        assert refused(lambda: job.wait("stopped")).field == "phase"
        for timeout in (-1, float("nan"), "1"):
            error = refused(lambda timeout=timeout: job.stop(timeout=timeout))
            assert error.field == "timeout" and "job-args" in str(error)
        assert job.stop() is Phase.CLEANED


def test_extra_arguments_with_a_plain_class_are_refused() -> None:
    """map(int, 16) is refused: int is applied to each item, not built."""
    env = LocalEnvironment("plain-class")
    error = refused(lambda: env.from_batch(["a"]).map(int, 16))
    assert error.component == "map:int"
    assert "functools.partial" in str(error)


def test_a_function_subclass_without_execute_is_refused_when_added() -> None:
    """A Function subclass that forgot execute() is refused before any item."""

    class Forgetful(Function):
        def setup(self) -> None:
            pass

    env = LocalEnvironment("no-execute")
    error = refused(lambda: env.from_batch([]).map(Forgetful))
    assert error.component == "map:Forgetful"
    assert "define execute(item)" in str(error)


#: Timeouts that are not a finite number of seconds >= 0 within threading's range.
BAD_TIMEOUTS = ["1", -1, -0.5, float("inf"), float("nan"), True, 1e300, [1]]


@pytest.mark.parametrize("timeout", BAD_TIMEOUTS)
def test_a_wrong_timeout_from_outside_the_job_is_a_config_error(timeout: Any) -> None:
    """wait, stop and service refuse the value, naming the call; the job goes on."""
    journal = Journal()
    with LocalEnvironment("timeouts", check=True) as env:
        env.register_service("index", FaultyService, "index", journal)
        env.from_batch(range(3)).sink(lambda item: None)
        job = env.submit(autostop=False)
        assert job.wait(Phase.STOPPED, timeout=10) is Phase.STOPPED
        attempts = {
            "wait()": lambda: job.wait(timeout=timeout),
            "stop()": lambda: job.stop(timeout=timeout),
            "service('index')": lambda: job.service("index", timeout=timeout),
        }
        for call, attempt in attempts.items():
            error = refused(attempt)
            assert error.field == "timeout"
            assert call in str(error) and f"timeout={timeout!r}" in str(error)
            assert "pass a number of seconds" in str(error)
        assert job.service("index", timeout=5).echo(1) == 1
        assert job.stop(timeout=0) is Phase.CLEANED
    assert job.outcome is Outcome.SUCCEEDED


class CallsWithTimeout(Function):
    """Calls service 'index' from a task with the timeout it was built with."""

    def __init__(self, how: str, timeout: Any) -> None:
        self.how, self.timeout = how, timeout

    def execute(self, item: int) -> int:
        if self.how == "call_service":
            return self.call_service("index", item, method="echo", timeout=self.timeout)
        if self.how == "self.service":
            return self.service("index", timeout=self.timeout).echo(item)
        return lifecycle.service("index", timeout=self.timeout).echo(item)


@pytest.mark.parametrize("how", ["call_service", "self.service", "lifecycle.service"])
@pytest.mark.parametrize("timeout", ["1", -1, float("inf")])
def test_a_wrong_timeout_inside_a_task_fails_the_job_with_a_config_error(
    how: str, timeout: Any
) -> None:
    """A task's service call with a bad timeout fails at once, naming the call."""
    journal = Journal()
    env = LocalEnvironment("task-timeouts", check=True)
    env.register_service("index", FaultyService, "index", journal)
    env.from_batch(range(3)).map(CallsWithTimeout, how, timeout).sink(print)
    with pytest.raises(JobFailed) as caught:
        env.submit()
    env.close()
    error = caught.value.job.error
    assert isinstance(error, ConfigError) and error.field == "timeout"
    call = "call_service" if how == "call_service" else "service"
    assert f"{call}('index') got timeout={timeout!r}" in str(error)
