"""Service calls that go wrong: unknown, not running, too slow, raising."""

from __future__ import annotations

import pytest

from lifecycle import (
    Function,
    JobFailed,
    LocalEnvironment,
    Outcome,
    Phase,
    ServiceUnavailable,
    UnknownService,
)
from tests.faults.checks import bounded, check_raised, finish
from tests.faults.components import FaultyService, Hang, InjectedError
from tests.faults.rig import LONG, SHORT
from tests.recording import Journal


class CallsUnknown(Function):
    def execute(self, item: int) -> int:
        return self.call_service("nope", item, method="echo")


def test_a_task_calling_an_unknown_service_fails_the_job() -> None:
    """UnknownService, a LookupError naming the services that exist, is the cause."""
    journal = Journal()
    env = LocalEnvironment("unknown-call", check=True)
    env.register_service("db", FaultyService, "db", journal)
    env.register_service("index", FaultyService, "index", journal)
    env.from_batch(range(5)).map(CallsUnknown).sink(lambda item: None)
    with pytest.raises(JobFailed) as caught:
        bounded(env.submit)
    job = caught.value.job
    finish(env, job, journal, first=UnknownService)

    error = job.error
    assert isinstance(error, LookupError)
    assert str(error) == "no service named 'nope'; the registered services are: "\
        "'db', 'index'."  # fmt: skip
    check_raised(caught.value, job)
    assert job.outcome is Outcome.FAILED and job.state is Phase.CLEANED


def test_asking_a_job_for_an_unknown_service_raises_at_once() -> None:
    """job.service('nope') raises UnknownService; the job is not affected."""
    journal = Journal()
    with LocalEnvironment("unknown-proxy", check=True) as env:
        env.register_service("index", FaultyService, "index", journal)
        env.from_batch(range(3)).sink(lambda item: None)
        job = env.submit(autostop=False)
        bounded(job.wait, Phase.STOPPED)
        with pytest.raises(UnknownService, match="'index'") as caught:
            job.service("nope")
        assert caught.value.known == ("index",)
        assert bounded(job.stop) is Phase.CLEANED
    assert job.outcome is Outcome.SUCCEEDED


def test_a_stale_proxy_from_outside_raises_service_unavailable() -> None:
    """A proxy taken while the job was parked refuses calls after teardown."""
    journal = Journal()
    with LocalEnvironment("stale-outside", check=True) as env:
        env.register_service("index", FaultyService, "index", journal)
        env.from_batch(range(3)).sink(lambda item: None)
        job = env.submit(autostop=False)
        bounded(job.wait, Phase.STOPPED)
        proxy = job.service("index")
        assert proxy.echo("still running") == "still running"
        bounded(job.stop)
    with pytest.raises(ServiceUnavailable) as caught:
        proxy.echo("too late")
    assert caught.value.service == "index" and caught.value.phase is Phase.CLEANED
    assert "not RUNNING" in str(caught.value)
    finish(env, job, journal)


def test_a_call_to_a_service_still_in_setup_is_unavailable() -> None:
    """A service calling another it does not depend on may find it STARTING."""
    journal, hang = Journal(), Hang()

    class Impatient(FaultyService):
        def setup(self) -> None:
            assert hang.struck.wait(LONG)
            self.call_service("slow", 1, method="echo")
            super().setup()

    env = LocalEnvironment("call-starting", check=True)
    env.register_service("slow", FaultyService, "slow", journal, setup=hang)
    env.register_service("impatient", Impatient, "impatient", journal)
    env.from_batch(range(3)).sink(lambda item: None)
    job = env.submit(autostop=False)
    bounded(job.wait, Phase.CLEANING)
    hang.release()
    assert bounded(job.wait) is Phase.CLEANED
    finish(env, job, journal, first=ServiceUnavailable)

    assert job.error.phase is Phase.STARTING
    assert "'slow' of job 'call-starting' is STARTING" in str(job.error)
    assert "calls it from its setup() must list it in depends_on" in str(job.error)
    assert job.services["impatient"].error is job.error
    assert journal.count("cleanup") == {"slow": 1}


def test_a_call_that_overruns_its_timeout_raises_timeout_error() -> None:
    """The task gets TimeoutError; the service finishes the call and is cleaned."""
    journal, hang = Journal(), Hang()

    class Waits(Function):
        def execute(self, item: int) -> str:
            return self.service("index", timeout=SHORT).slow(hang)

    env = LocalEnvironment("call-timeout", check=True)
    env.register_service("index", FaultyService, "index", journal)
    env.from_batch(range(3)).map(Waits).sink(lambda item: None)
    job = env.submit(autostop=False)
    bounded(job.wait, Phase.CLEANING)
    assert job.services["index"].state in (Phase.RUNNING, Phase.STOPPING)
    hang.release()
    assert bounded(job.wait) is Phase.CLEANED
    finish(env, job, journal, first=TimeoutError)

    assert "'index' (slow) gave no answer within 0.3 s" in str(job.error)
    assert job.errors == [job.error]
    assert job.services["index"].state is Phase.CLEANED


def test_a_service_stuck_in_a_call_is_abandoned_at_its_stop_deadline() -> None:
    """The call never returns: the stop overruns and the service is abandoned."""
    journal, hang = Journal(), Hang()

    class Waits(Function):
        def execute(self, item: int) -> str:
            return self.service("index", timeout=SHORT).slow(hang)

    env = LocalEnvironment("stuck-call", check=True)
    env.register_service("index", FaultyService, "index", journal,
                         stop_timeout=SHORT)  # fmt: skip
    env.from_batch(range(3)).map(Waits).sink(lambda item: None)
    job = env.submit(autostop=False)
    assert bounded(job.wait) is Phase.FAILED
    finish(env, job, journal, hangs=[hang], first=TimeoutError)

    assert [type(error) for error in job.errors] == [TimeoutError, TimeoutError]
    assert "STOPPING" in str(job.errors[1])
    assert job.services["index"].abandoned


def test_a_withdrawn_call_is_never_run() -> None:
    """A call that timed out while queued is dropped, not run later."""
    journal, hang = Journal(), Hang()
    with LocalEnvironment("withdrawn", check=True) as env:
        env.register_service("index", FaultyService, "index", journal)
        env.from_batch(range(1)).sink(lambda item: None)
        job = env.submit(autostop=False)
        bounded(job.wait, Phase.STOPPED)
        slow = job.service("index", timeout=SHORT)
        with pytest.raises(TimeoutError):
            slow.slow(hang)
        with pytest.raises(TimeoutError):
            slow.mark()
        hang.release()
        assert job.service("index").echo("after") == "after"
        assert bounded(job.stop) is Phase.CLEANED
    assert job.outcome is Outcome.SUCCEEDED
    assert journal.order("mark") == []


def test_an_error_inside_a_service_method_reaches_the_caller() -> None:
    """The caller gets the method's own error; the service keeps running."""
    journal = Journal()
    with LocalEnvironment("raising-method", check=True) as env:
        env.register_service("index", FaultyService, "index", journal)
        env.from_batch(range(1)).sink(lambda item: None)
        job = env.submit(autostop=False)
        bounded(job.wait, Phase.STOPPED)
        with pytest.raises(InjectedError, match=r"index\.fail"):
            job.service("index").fail()
        with pytest.raises(AttributeError, match="no public method 'call_private'"):
            job.service("index").call_private()
        assert job.services["index"].state is Phase.RUNNING
        assert bounded(job.stop) is Phase.CLEANED
    assert job.outcome is Outcome.SUCCEEDED and job.error is None


RESERVED = ["setup", "start", "stop", "cleanup", "service", "call_service"]


@pytest.mark.parametrize("method", RESERVED)
def test_a_proxy_refuses_the_lifecycle_hooks(method: str) -> None:
    """job.service('index').cleanup() is refused; cleanup still runs once."""
    journal = Journal()
    with LocalEnvironment("proxy-hooks", check=True) as env:
        env.register_service("index", FaultyService, "index", journal)
        env.from_batch(range(1)).sink(lambda item: None)
        job = env.submit(autostop=False)
        bounded(job.wait, Phase.STOPPED)
        with pytest.raises(AttributeError, match="lifecycle runs") as caught:
            getattr(job.service("index"), method)()
        assert f"{method}()" in str(caught.value)
        assert job.services["index"].state is Phase.RUNNING
        assert bounded(job.stop) is Phase.CLEANED
    assert job.outcome is Outcome.SUCCEEDED
    finish(env, job, journal)
    assert journal.count("cleanup") == {"index": 1}


class CallsHook(Function):
    def __init__(self, method: str) -> None:
        self.method = method

    def execute(self, item: int) -> int:
        return self.call_service("index", method=self.method)


@pytest.mark.parametrize("method", RESERVED)
def test_call_service_refuses_the_lifecycle_hooks(method: str) -> None:
    """call_service(method='cleanup') fails the task; the hook is not run."""
    journal = Journal()
    env = LocalEnvironment("call-hooks", check=True)
    env.register_service("index", FaultyService, "index", journal)
    env.from_batch(range(1)).map(CallsHook, method).sink(lambda item: None)
    with pytest.raises(JobFailed) as caught:
        bounded(env.submit)
    job = caught.value.job
    finish(env, job, journal, first=AttributeError)
    assert "lifecycle runs" in str(job.error)
    assert journal.count("cleanup") == {"index": 1}
    assert journal.count("setup") == {"index": 1}


@pytest.mark.parametrize("phase", list(Phase))
def test_service_unavailable_names_depends_on_only_before_running(
    phase: Phase,
) -> None:
    """The depends_on advice is given for a service not yet started, only."""
    error = ServiceUnavailable("index", phase, "job")
    advice = "must list it in depends_on" in str(error)
    assert advice is (phase in (Phase.CREATED, Phase.STARTING))
    assert f"service 'index' of job 'job' is {phase.name}" in str(error)


class CallsItself(FaultyService):
    """Calls its own methods through call_service, on its own thread."""

    def _secret(self) -> str:
        return "private"

    def call_own(self, method: str) -> object:
        return self.call_service("index", method=method)


def test_a_service_calling_itself_gets_the_same_checks_as_any_caller() -> None:
    """On the service's own thread, private and missing methods are refused too."""
    journal = Journal()
    with LocalEnvironment("self-call", check=True) as env:
        env.register_service("index", CallsItself, "index", journal)
        env.from_batch(range(1)).sink(lambda item: None)
        job = env.submit(autostop=False)
        bounded(job.wait, Phase.STOPPED)
        proxy = job.service("index")
        for method in ("_secret", "missing"):
            with pytest.raises(AttributeError, match=f"no public method '{method}'"):
                proxy.call_own(method)
        with pytest.raises(AttributeError, match="no public method 'missing'"):
            proxy.missing()
        assert proxy.call_own("whose_thread").endswith(":service:index")
        assert bounded(job.stop) is Phase.CLEANED
    assert job.outcome is Outcome.SUCCEEDED
