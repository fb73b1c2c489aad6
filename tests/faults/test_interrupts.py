"""Ctrl-C in this process: a real SIGINT sent to the main thread while it waits.

The subprocess tests (`test_signals.py`) show the whole program's exit; these
show, in detail, what the job went through.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator

import pytest

from lifecycle import LocalEnvironment, Outcome, Phase
from tests.faults.checks import BOUND, finish
from tests.faults.components import FaultySource
from tests.faults.frames import main_thread_in
from tests.recording import Journal


def interrupt_main_when(ready: threading.Event, *, then: threading.Event | None = None):
    """Send SIGINT to the main thread once `ready` is set and it waits on the
    job; again once `then` is set and it waits in the teardown."""

    def send() -> None:
        steps = [(ready, ("_block", "wait_for"))]
        if then is not None:
            steps.append((then, ("_tear_down_after_interrupt", "wait_for")))
        for event, functions in steps:
            assert event.wait(BOUND)
            assert main_thread_in(*functions, limit=BOUND)
            signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)

    sender = threading.Thread(target=send, name="test:interrupter", daemon=True)
    sender.start()
    return sender


def endless(env: LocalEnvironment, journal: Journal, flowing: threading.Event,
            *, gate: threading.Event | None = None) -> None:  # fmt: skip
    """An endless source into a sink; `flowing` is set once item 10 reached
    the sink. With a `gate`, the sink holds every later item until the gate
    opens, and `flowing` waits until 100 items were emitted: a backlog is
    queued."""
    source = FaultySource(journal, None)

    def gated() -> Iterator[int]:
        for item in source:
            yield item
            if item == 100:
                flowing.set()

    def sink(item: int) -> None:
        if item == 10 and gate is None:
            flowing.set()
        if gate is not None and item > 10:
            gate.wait(BOUND)

    env.from_batch(source if gate is None else gated()).sink(sink)


@pytest.mark.parametrize("where", ["submit", "wait"])
def test_ctrl_c_tears_down_gracefully_then_reraises(where: str) -> None:
    """The job is CANCELLED and cleaned, then KeyboardInterrupt reaches the caller."""
    journal, flowing = Journal(), threading.Event()
    env = LocalEnvironment(f"ctrl-c-{where}", check=True)
    endless(env, journal, flowing)
    sender = interrupt_main_when(flowing)
    with pytest.raises(KeyboardInterrupt):
        if where == "submit":
            env.submit(autostop=True)
        else:
            env.submit(autostop=False).wait()
    sender.join(BOUND)
    job = env.jobs[0]
    assert job.state is Phase.CLEANED and job.outcome is Outcome.CANCELLED
    assert str(job.stop_reason) == "interrupt: KeyboardInterrupt"
    finish(env, job, journal)


def test_a_second_ctrl_c_forces_the_tasks(monkeypatch: pytest.MonkeyPatch) -> None:
    """The second interrupt drops what is queued instead of draining it."""
    from lifecycle.runtime.tasks import TaskRunner

    journal, flowing, stopping = Journal(), threading.Event(), threading.Event()
    forced = threading.Event()  # the drain is held until the tasks are forced
    force = TaskRunner.force

    def force_then_open_the_gate(runner: TaskRunner) -> None:
        force(runner)
        forced.set()

    monkeypatch.setattr(TaskRunner, "force", force_then_open_the_gate)
    env = LocalEnvironment("ctrl-c-twice", check=True, stop_timeout=60.0,
                           queue_size=1000)  # fmt: skip
    endless(env, journal, flowing, gate=forced)
    job = env.submit(autostop=False)
    watcher = threading.Thread(
        target=lambda: job.wait(Phase.STOPPING) and stopping.set(), daemon=True
    )
    watcher.start()
    sender = interrupt_main_when(flowing, then=stopping)
    with pytest.raises(KeyboardInterrupt):
        job.wait()
    sender.join(BOUND)
    assert job.outcome is Outcome.CANCELLED
    forced = [r for r in job.history if r.event == "force_stop"]
    assert forced and "second KeyboardInterrupt" in forced[0].detail
    assert any(r.detail.startswith("dropped ") for r in job.history)
    finish(env, job, journal)
