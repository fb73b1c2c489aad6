"""Stops: during start, from many threads, from inside a task, of endless jobs."""

from __future__ import annotations

import threading

from lifecycle import LifecycleError, LocalEnvironment, Outcome, Phase
from tests.faults.checks import BOUND, bounded, finish
from tests.faults.components import FaultyFunction, FaultyService, FaultySource, Hang
from tests.faults.rig import LONG, SHORT
from tests.recording import Journal


def endless_job(env: LocalEnvironment, journal: Journal, out: list, **sink_faults):
    """Register `index` and build an endless source -> map(index) -> sink."""
    env.register_service("index", FaultyService, "index", journal)
    source = FaultySource(journal, None)
    env.from_batch(source).map(FaultyFunction, "map", journal, call="index").sink(
        FaultyFunction, "sink", journal, out=out, **sink_faults
    )
    return source


def test_a_stop_while_a_service_is_in_setup_cancels_the_job() -> None:
    """The stop waits for the setup, then cleans the service; no task ever runs."""
    journal, hang = Journal(), Hang()
    env = LocalEnvironment("stop-in-setup", check=True, stop_timeout=LONG)
    env.register_service("index", FaultyService, "index", journal, setup=hang)
    env.from_batch(range(5)).sink(FaultyFunction, "sink", journal)
    job = env.submit(autostop=False)
    assert hang.struck.wait(BOUND)
    stopper = threading.Thread(target=job.stop, name="test:stopper")
    stopper.start()
    assert bounded(job.wait, Phase.CLEANING) is Phase.CLEANING
    assert job.services["index"].state is Phase.STARTING
    hang.release()
    stopper.join(BOUND)
    finish(env, job, journal)

    assert job.outcome is Outcome.CANCELLED and job.state is Phase.CLEANED
    assert journal.count("cleanup")["index"] == 1
    assert "sink" not in journal.order("setup")


def test_a_stop_while_a_setup_overruns_its_deadline_fails_the_job() -> None:
    """The setup is abandoned at its start_timeout; the job ends FAILED."""
    journal, hang = Journal(), Hang()
    env = LocalEnvironment("stop-in-slow-setup", check=True)
    env.register_service(
        "index", FaultyService, "index", journal, setup=hang, start_timeout=SHORT
    )
    env.from_batch(range(5)).sink(FaultyFunction, "sink", journal)
    job = env.submit(autostop=False)
    assert hang.struck.wait(BOUND)
    assert bounded(job.stop) is Phase.FAILED
    finish(env, job, journal, hangs=[hang], first=TimeoutError)

    assert job.outcome is Outcome.FAILED
    assert job.services["index"].abandoned


def test_a_stop_while_a_task_is_in_setup_drains_what_was_emitted() -> None:
    """The task starts late, then drains; every item the source sent arrives."""
    journal, hang, out = Journal(), Hang(), []
    env = LocalEnvironment("stop-in-task-setup", check=True, stop_timeout=LONG)
    source = FaultySource(journal, None)
    env.from_batch(source).sink(FaultyFunction, "sink", journal, out=out, setup=hang)
    job = env.submit(autostop=False)
    assert hang.struck.wait(BOUND)
    stopper = threading.Thread(target=job.stop, name="test:stopper")
    stopper.start()
    assert bounded(job.wait, Phase.STOPPING) is Phase.STOPPING
    hang.release()
    stopper.join(BOUND)
    finish(env, job, journal)

    assert job.outcome is Outcome.CANCELLED
    assert out == source.emitted


def test_many_concurrent_stops_take_effect_once() -> None:
    """Sixteen threads stop at once: one stop, one cleanup each, same answer."""
    journal, out = Journal(), []
    env = LocalEnvironment("many-stops", check=True, stop_timeout=LONG)
    endless_job(env, journal, out)
    job = env.submit(autostop=False)
    bounded(job.wait, Phase.RUNNING)
    start = threading.Barrier(16, timeout=BOUND)
    answers: list[Phase] = []

    def stop() -> None:
        start.wait()
        answers.append(job.stop(timeout=LONG))

    stoppers = [threading.Thread(target=stop, name=f"test:{n}") for n in range(16)]
    for thread in stoppers:
        thread.start()
    for thread in stoppers:
        thread.join(BOUND)
    finish(env, job, journal)

    assert answers == [Phase.CLEANED] * 16
    assert job.outcome is Outcome.CANCELLED
    stops = [
        r for r in job.history if r.component == "dispatcher" and r.event == "stop"
    ]
    assert len([r for r in stops if not r.noop]) == 1
    assert all("duplicate" in r.detail or "terminal" in r.detail for r in stops[1:])


def test_a_stop_and_a_close_racing_end_the_job_once() -> None:
    """job.stop() and env.close() from two threads: one stop, one teardown."""
    journal, out = Journal(), []
    env = LocalEnvironment("stop-and-close", check=True, stop_timeout=LONG)
    endless_job(env, journal, out)
    job = env.submit(autostop=False)
    bounded(job.wait, Phase.RUNNING)
    stopper = threading.Thread(target=job.stop, name="test:stopper")
    stopper.start()
    bounded(env.close)
    stopper.join(BOUND)
    finish(env, job, journal)

    assert job.outcome is Outcome.CANCELLED


def test_an_endless_source_runs_until_stopped_and_loses_nothing() -> None:
    """Every item the endless source emitted before the stop reached the sink."""
    journal, out, flowing = Journal(), [], threading.Event()

    def keep(item: int) -> None:
        out.append(item)
        if item == 100:
            flowing.set()

    env = LocalEnvironment("endless", check=True, stop_timeout=LONG, queue_size=4)
    source = FaultySource(journal, None)
    env.from_batch(source).map(lambda item: item, parallelism=3).sink(keep)
    job = env.submit(autostop=False)
    assert flowing.wait(BOUND)
    assert bounded(job.stop) is Phase.CLEANED
    finish(env, job, journal)

    assert job.outcome is Outcome.CANCELLED
    assert sorted(out) == source.emitted
    assert "stop asked" in [r.detail for r in job.history if r.event == "input_ended"]


def test_a_stop_from_inside_a_task_does_not_wait_for_that_task() -> None:
    """A sink that stops its own job returns at once; the job is cancelled."""
    journal, out, submitted = Journal(), [], threading.Event()
    jobs: list = []
    answers: list[Phase] = []

    def stop_at_five(item: int) -> None:
        out.append(item)
        if item == 5:
            submitted.wait(BOUND)
            answers.append(jobs[0].stop(timeout=LONG))

    env = LocalEnvironment("self-stop", check=True, stop_timeout=LONG)
    source = FaultySource(journal, None)
    env.from_batch(source).sink(stop_at_five)
    jobs.append(env.submit(autostop=False))
    submitted.set()
    job = jobs[0]
    assert bounded(job.wait) is Phase.CLEANED
    finish(env, job, journal)

    assert job.outcome is Outcome.CANCELLED and job.error is None
    assert answers and not answers[0].terminal
    assert out == source.emitted


def test_an_exception_in_a_with_block_stops_its_jobs_and_propagates() -> None:
    """Leaving the block by an exception cancels the running job, parks released."""
    journal, out = Journal(), []
    try:
        with LocalEnvironment("with-raises", check=True, stop_timeout=LONG) as env:
            endless_job(env, journal, out)
            running = env.submit(autostop=False)
            env.from_batch(range(3)).sink(FaultyFunction, "parked", journal)
            parked = env.submit(autostop=False)
            bounded(running.wait, Phase.RUNNING)
            bounded(parked.wait, Phase.STOPPED)
            raise KeyError("user code failed")
    except KeyError as error:
        assert error.args == ("user code failed",)
    else:
        raise AssertionError("the with block swallowed the exception")
    for job in (running, parked):
        finish(env, job, journal)
    assert running.outcome is Outcome.CANCELLED
    assert parked.outcome is Outcome.SUCCEEDED


def test_a_closed_environment_refuses_new_work() -> None:
    """After close, register_service, from_batch and submit raise ConfigError."""
    env = LocalEnvironment("closed")
    env.close()
    for attempt in (
        lambda: env.register_service("late", FaultyService),
        lambda: env.from_batch([1]),
        lambda: env.submit(),
    ):
        try:
            attempt()
        except ValueError as error:
            assert "closed" in str(error) and "create a new one" in str(error)
        else:
            raise AssertionError("a closed environment accepted work")


def test_wait_times_out_and_the_job_goes_on() -> None:
    """wait(timeout) raises TimeoutError naming the phase; a later stop works."""
    journal, out = Journal(), []
    env = LocalEnvironment("wait-timeout", check=True, stop_timeout=LONG)
    endless_job(env, journal, out)
    job = env.submit(autostop=False)
    try:
        job.wait(timeout=SHORT)
    except TimeoutError as error:
        assert "wait-timeout" in str(error) and "job.stop()" in str(error)
    else:
        raise AssertionError("an endless job reached a terminal phase")
    assert not job.state.terminal
    assert bounded(job.stop) is Phase.CLEANED
    assert bounded(job.stop) is Phase.CLEANED
    finish(env, job, journal)


def test_a_close_from_inside_a_task_does_not_wait_for_that_task() -> None:
    """A sink that closes its environment returns at once; the job is cancelled."""
    journal, out, submitted = Journal(), [], threading.Event()
    envs: list[LocalEnvironment] = []

    def close_at_five(item: int) -> None:
        out.append(item)
        if item == 5:
            submitted.wait(BOUND)
            envs[0].close()

    env = LocalEnvironment("self-close", check=True, stop_timeout=LONG)
    envs.append(env)
    source = FaultySource(journal, None)
    env.from_batch(source).sink(close_at_five)
    job = env.submit(autostop=False)
    submitted.set()
    assert bounded(job.wait) is Phase.CLEANED
    finish(env, job, journal)

    assert job.outcome is Outcome.CANCELLED and job.error is None
    assert out == source.emitted


def test_waiting_for_the_end_from_inside_the_job_is_refused() -> None:
    """A task may wait for STOPPING, but not for the end it would block."""
    seen: dict[str, object] = {}
    jobs: list = []
    submitted = threading.Event()

    def sink(item: int) -> None:
        if item == 0:
            submitted.wait(BOUND)
            seen["running"] = jobs[0].wait(Phase.RUNNING, timeout=BOUND)
            for phase in (None, Phase.CLEANED):
                try:
                    jobs[0].wait(phase, timeout=BOUND)
                except LifecycleError as error:
                    seen[str(phase)] = str(error)

    journal = Journal()
    env = LocalEnvironment("self-wait", check=True)
    env.from_batch(FaultySource(journal, 3)).sink(sink)
    jobs.append(env.submit(autostop=False))
    submitted.set()
    job = jobs[0]
    assert bounded(job.wait, Phase.STOPPED) is Phase.STOPPED
    assert bounded(job.stop) is Phase.CLEANED
    finish(env, job, journal)

    assert seen["running"] in (Phase.RUNNING, Phase.STOPPING)
    assert "would never return" in str(seen["None"])
    assert "call job.stop() instead" in str(seen["Phase.CLEANED"])


def test_a_close_racing_a_submit_leaves_no_job_running() -> None:
    """close() on another thread either refuses the submit or stops its job."""
    import itertools

    from lifecycle import ConfigError

    env = LocalEnvironment("close-race", check=True)
    env.from_batch(itertools.count()).map(abs, parallelism=200).sink(lambda item: None)
    outcome: dict[str, object] = {}
    submitting = threading.Event()

    def submit() -> None:
        submitting.set()
        try:
            outcome["job"] = env.submit(autostop=False)
        except ConfigError as refused:
            outcome["refused"] = refused

    submitter = threading.Thread(target=submit, name="test:submitter")
    submitter.start()
    assert submitting.wait(BOUND)
    bounded(env.close)
    submitter.join(BOUND)
    assert not submitter.is_alive()
    if "job" in outcome:
        job = outcome["job"]
        assert job.state.terminal and job.outcome is Outcome.CANCELLED
    else:
        assert "closed" in str(outcome["refused"])


def test_a_non_blocking_submit_returns_a_job_that_has_left_created() -> None:
    """submit(autostop=False) returns once the job is submitted: not CREATED."""
    with LocalEnvironment("live-state", check=True) as env:
        env.from_batch(range(3)).sink(lambda item: None)
        job = env.submit(autostop=False)
        assert job.state is not Phase.CREATED
        job.stop(timeout=1)


def test_a_source_waiting_for_input_yields_idle_and_stops_cleanly() -> None:
    """A queue-fed source that yields IDLE on a timeout ends on job.stop()."""
    import queue

    from lifecycle import IDLE

    inbox: queue.Queue[int] = queue.Queue()

    def listen():
        while True:
            try:
                yield inbox.get(timeout=0.05)
            except queue.Empty:
                yield IDLE

    out: list[int] = []
    all_arrived = threading.Event()

    def sink(item: int) -> None:
        out.append(item)
        if len(out) == 5:
            all_arrived.set()

    with LocalEnvironment("idle", check=True, stop_timeout=SHORT) as env:
        env.from_batch(listen()).sink(sink)
        job = env.submit(autostop=False)
        for item in range(5):
            inbox.put(item)
        assert all_arrived.wait(BOUND)
        assert bounded(job.stop, timeout=LONG) is Phase.CLEANED
    assert job.outcome is Outcome.CANCELLED and job.abandoned == []
    assert out == list(range(5))
    assert job.tasks["source"].state is Phase.CLEANED


def test_a_source_blocked_inside_next_is_abandoned_at_its_deadline() -> None:
    """A source that waits forever in next() cannot see a stop: it is abandoned."""
    import queue

    blocked: queue.Queue[int] = queue.Queue()
    with LocalEnvironment("blocked", check=True, stop_timeout=SHORT) as env:
        env.from_batch(iter(blocked.get, None)).sink(lambda item: None)
        job = env.submit(autostop=False)
        assert bounded(job.stop, timeout=SHORT) is Phase.FAILED
        assert job.tasks["source"].state is Phase.FAILED
        assert job.tasks["sink:lambda"].state is Phase.CLEANED
        assert isinstance(job.error, TimeoutError)
        assert job.abandoned == ["lifecycle:blocked:task:source (abandoned)"]
        blocked.put(None)  # let the abandoned thread end
