"""Scripted walkthroughs of the pure kernel, asserting the whole state each step."""

from __future__ import annotations

import pytest

from lifecycle import InvalidTransition, Outcome, Phase
from lifecycle import events as ev
from lifecycle.events import StopOrigin, StopReason
from lifecycle.kernel import Kernel
from lifecycle.specs import ServiceSpec, TaskSpec, job_spec

C, S, R = Phase.CREATED, Phase.STARTING, Phase.RUNNING
SG, SD, CG, CD, F = (
    Phase.STOPPING, Phase.STOPPED, Phase.CLEANING, Phase.CLEANED, Phase.FAILED
)  # fmt: skip
ASKED = StopReason(StopOrigin.ASKED)


def kernel(autostop: bool = True, services: int = 2) -> Kernel:
    """A job: source -> sink, services db <- index (index depends on db)."""
    specs = [ServiceSpec(name="db"), ServiceSpec(name="index", depends_on=("db",))]
    return Kernel(
        job_spec(
            "job",
            [TaskSpec(name="source", source=True), TaskSpec(name="sink")],
            specs[:services],
            autostop=autostop,
        ),
        check=True,
    )


def state(k: Kernel) -> tuple[Phase, dict[str, Phase]]:
    return k.state, {name: c.state for name, c in k.components.items()}


def names(commands: list[ev.Command]) -> list[str]:
    return [f"{type(c).__name__}({getattr(c, 'name', '')})" for c in commands]


def start(k: Kernel) -> None:
    for event in (ev.Submit(), ev.Started("db"), ev.Started("index")):
        k.handle(event)
    k.handle(ev.Started("source"))
    k.handle(ev.Started("sink"))


def test_a_batch_runs_and_tears_down_in_reverse_dependency_order() -> None:
    """Services start in dependency order, tasks after; teardown reverses it."""
    k = kernel()
    assert names(k.handle(ev.Submit())) == ["StartService(db)"]
    assert state(k) == (S, {"db": S, "index": C, "source": C, "sink": C})
    assert names(k.handle(ev.Started("db"))) == ["StartService(index)"]
    assert names(k.handle(ev.Started("index"))) == [
        "StartTask(source)",
        "StartTask(sink)",
    ]
    k.handle(ev.Started("source"))
    assert k.handle(ev.Started("sink")) == []
    assert state(k) == (R, {"db": R, "index": R, "source": R, "sink": R})

    k.handle(ev.InputEnded("source"))
    assert state(k) == (SG, {"db": R, "index": R, "source": SG, "sink": R})
    assert names(k.handle(ev.Drained("source"))) == ["Cleanup(source)"]
    k.handle(ev.InputEnded("sink"))
    assert names(k.handle(ev.Drained("sink"))) == ["Cleanup(sink)"]
    assert state(k) == (CG, {"db": R, "index": R, "source": CG, "sink": CG})

    assert k.handle(ev.Cleaned("source")) == []
    assert names(k.handle(ev.Cleaned("sink"))) == ["StopService(index)"]
    assert names(k.handle(ev.Stopped("index"))) == ["Cleanup(index)"]
    assert names(k.handle(ev.Cleaned("index"))) == ["StopService(db)"]
    k.handle(ev.Stopped("db"))
    k.handle(ev.Cleaned("db"))
    assert state(k) == (CD, dict.fromkeys(["db", "index", "source", "sink"], CD))
    assert k.outcome is Outcome.SUCCEEDED


def test_without_autostop_the_job_parks_in_stopped_until_a_stop() -> None:
    """Services keep running after the batch until a stop releases them."""
    k = kernel(autostop=False)
    start(k)
    for task in ("source", "sink"):
        k.handle(ev.InputEnded(task))
        k.handle(ev.Drained(task))
        k.handle(ev.Cleaned(task))
    assert state(k) == (SD, {"db": R, "index": R, "source": CD, "sink": CD})
    assert names(k.handle(ev.StopRequested(ASKED))) == ["StopService(index)"]
    assert k.state is CG
    for event in (
        ev.Stopped("index"),
        ev.Cleaned("index"),
        ev.Stopped("db"),
        ev.Cleaned("db"),
    ):
        k.handle(event)
    assert k.outcome is Outcome.SUCCEEDED


def test_a_failing_task_fails_the_job_and_still_cleans_everything() -> None:
    """The other tasks stop, services are cleaned after them, outcome FAILED."""
    k = kernel()
    start(k)
    boom = ValueError("boom")
    commands = k.handle(ev.TaskFailed("sink", boom))
    assert names(commands) == [
        "Cleanup(sink)",
        "StopSource(source)",
        "ArmDrainDeadline()",
    ]
    assert state(k) == (SG, {"db": R, "index": R, "source": R, "sink": CG})
    k.handle(ev.InputEnded("source", "stop asked"))
    k.handle(ev.Drained("source"))
    assert k.state is CG
    for event in (
        ev.Cleaned("source"),
        ev.Cleaned("sink"),
        ev.Stopped("index"),
        ev.Cleaned("index"),
        ev.Stopped("db"),
        ev.Cleaned("db"),
    ):
        k.handle(event)
    assert k.state is CD
    assert k.outcome is Outcome.FAILED
    assert [e.error for e in k.errors] == [boom]


def test_an_illegal_event_raises_and_changes_nothing() -> None:
    """InvalidTransition names the component, phase and event; state is kept."""
    k = kernel()
    k.handle(ev.Submit())
    before = (state(k), len(k.history))
    with pytest.raises(InvalidTransition) as caught:
        k.handle(ev.Cleaned("db"))
    assert (state(k), len(k.history)) == before
    assert caught.value.component == "db"
    assert caught.value.phase is S
    assert caught.value.event == "cleaned"
    assert "db" in str(caught.value) and "STARTING" in str(caught.value)


def test_a_second_stop_is_a_recorded_no_op() -> None:
    """A duplicate stop is recorded, changes nothing, and issues nothing."""
    k = kernel()
    start(k)
    k.handle(ev.StopRequested(ASKED))
    snapshot = state(k)
    assert k.handle(ev.StopRequested(ASKED)) == []
    assert state(k) == snapshot
    last = k.history.records()[-1]
    assert last.noop and last.event == "stop" and "duplicate" in last.detail


def test_a_setup_that_never_returned_is_not_cleaned() -> None:
    """A service whose setup raised goes to CLEANED without a cleanup."""
    k = kernel()
    k.handle(ev.Submit())
    commands = k.handle(ev.StartFailed("db", OSError("no disk")))
    assert not [c for c in commands if isinstance(c, ev.Cleanup)]
    assert state(k) == (CD, dict.fromkeys(["db", "index", "source", "sink"], CD))
    assert k.outcome is Outcome.FAILED
    assert k.components["db"].cleanups == 0


def test_a_late_deadline_is_ignored_and_a_live_one_abandons() -> None:
    """Overran for a phase already left does nothing; in the phase, FAILED."""
    k = kernel()
    k.handle(ev.Submit())
    k.handle(ev.Started("db"))
    assert k.handle(ev.Overran("db", S, 1.0)) == []
    commands = k.handle(ev.Overran("index", S, 1.0))
    assert names(commands)[0] == "Abandon(index)"
    assert k.components["index"].state is F
    k.handle(ev.Stopped("db"))
    k.handle(ev.Cleaned("db"))
    assert k.state is F
    assert isinstance(k.errors[0].error, TimeoutError)
    k.handle(ev.Started("index"))
    assert k.history.records()[-1].noop
