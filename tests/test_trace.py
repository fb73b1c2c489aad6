"""The history validator: real histories pass, each broken rule is named."""

from __future__ import annotations

import pytest

from lifecycle import LocalEnvironment, Outcome, TransitionRecord
from lifecycle import events as ev
from lifecycle.kernel import Kernel
from lifecycle.phases import TABLES, Kind, Phase
from lifecycle.specs import ServiceSpec, TaskSpec, job_spec
from lifecycle.trace import HistoryViolation, TraceChecker, check_history, check_job
from tests.recording import CallsService, Journal, Recorded

C, S, R, SG, SD, CG, CD, F = (
    Phase.CREATED, Phase.STARTING, Phase.RUNNING, Phase.STOPPING, Phase.STOPPED,
    Phase.CLEANING, Phase.CLEANED, Phase.FAILED,
)  # fmt: skip
T, SV, D = Kind.TASK, Kind.SERVICE, Kind.DISPATCHER
DEPENDS = {"db": (), "index": ("db",)}


def history() -> list[TransitionRecord]:
    """A whole job on the pure kernel: db <- index, source -> sink, autostop."""
    kernel = Kernel(
        job_spec(
            "job",
            [TaskSpec(name="source", source=True), TaskSpec(name="sink")],
            [ServiceSpec(name="db"), ServiceSpec(name="index", depends_on=("db",))],
        )
    )
    script = [ev.Submit(), ev.Started("db"), ev.Started("index"),
              ev.Started("source"), ev.Started("sink"), ev.InputEnded("source"),
              ev.Drained("source"), ev.InputEnded("sink"), ev.Drained("sink"),
              ev.Cleaned("source"), ev.Cleaned("sink"), ev.Stopped("index"),
              ev.Cleaned("index"), ev.Stopped("db"), ev.Cleaned("db")]  # fmt: skip
    for event in script:
        kernel.handle(event)
    assert kernel.state is CD
    return kernel.history.records()


def rec(seq: int, component: str, kind: Kind, event: str, source: Phase,
        dest: Phase, noop: bool = False) -> TransitionRecord:  # fmt: skip
    """One hand-written record of job "job"."""
    return TransitionRecord(
        seq=seq, time=float(seq), job="job", component=component, kind=kind,
        event=event, source=source, dest=dest, cause=seq, noop=noop,
    )  # fmt: skip


def renumber(records: list[TransitionRecord]) -> list[TransitionRecord]:
    """The records with seq and cause 1, 2, 3... in list order."""
    return [
        r.model_copy(update={"seq": n, "cause": n}) for n, r in enumerate(records, 1)
    ]


def violation(records, depends_on=None) -> HistoryViolation:
    with pytest.raises(HistoryViolation) as caught:
        check_history(records, depends_on)
    return caught.value


def test_a_kernel_history_is_legal() -> None:
    """Every record of a whole job passes, with its dependencies given."""
    records = history()
    assert check_history(records, DEPENDS) == len(records)


def test_a_real_job_on_threads_is_legal() -> None:
    """A job run by the local runtime passes `check_job`, dependencies included."""
    journal = Journal()
    with LocalEnvironment("traced", check=True) as env:
        env.register_service("index", Recorded, "index", journal, depends_on=["db"])
        env.register_service("db", Recorded, "db", journal)
        env.from_batch(range(20)).map(CallsService, "index").sink(lambda item: None)
        job = env.submit()
    assert job.outcome is Outcome.SUCCEEDED
    assert check_job(job) == len(job.history)


def test_a_missing_record_breaks_the_chain() -> None:
    """Dropping sink's `started` makes its next record leave the wrong phase."""
    records = [r for r in history() if (r.component, r.event) != ("sink", "started")]
    error = violation(renumber(records))
    assert error.rule == "chain"
    assert error.record.component == "sink" and "it is STARTING" in str(error)


def test_a_step_that_is_no_row_is_refused() -> None:
    """A task's record `stopped` is no row of the task table."""
    records = [
        r.model_copy(update={"event": "stopped"}) if r.event == "drained" else r
        for r in history()
    ]
    error = violation(records)
    assert error.rule == "table" and "task table" in str(error)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"seq": 1}, "seq 1 comes after"),
        ({"cause": 0}, "cause 0 comes after"),
        ({"job": "other"}, "keep one job per history"),
    ],
)
def test_records_out_of_order_or_of_another_job_are_refused(change, words) -> None:
    """seq must increase, cause must not go back, one job per history."""
    records = history()
    records[5] = records[5].model_copy(update=change)
    error = violation(records)
    assert error.rule == "order" and words in str(error)
    assert error.position == 5


def test_a_name_used_by_a_task_and_a_service_is_refused() -> None:
    """One name, two kinds: the second kind's record is refused."""
    records = [rec(1, "x", SV, "start", C, S), rec(2, "x", T, "start", C, S)]
    assert violation(records).rule == "chain"


def test_a_no_op_must_not_move() -> None:
    """A record marked no-op with source != dest is refused."""
    error = violation([rec(1, "dispatcher", D, "stop", C, S, noop=True)])
    assert error.rule == "chain" and "no-op" in str(error)


def test_nothing_moves_after_the_dispatcher_ended() -> None:
    """A new component starting after the job is CLEANED is refused."""
    records = history()
    records.append(rec(len(records) + 1, "late", T, "start", C, S))
    records[-1] = records[-1].model_copy(update={"cause": records[-2].cause})
    assert violation(records).rule == "after end"


def test_no_op_records_after_the_end_are_legal() -> None:
    """A repeated stop after the end is a recorded no-op, and legal."""
    records = history()
    stop = rec(len(records) + 1, "dispatcher", D, "stop", CD, CD, noop=True)
    records.append(stop.model_copy(update={"cause": records[-1].cause + 1}))
    assert check_history(records) == len(records)


def test_a_second_cleanup_is_rule_2() -> None:
    """Entering CLEANING twice is named as rule 2, not as a broken chain."""
    records = [
        rec(1, "db", SV, "start", C, S), rec(2, "db", SV, "started", S, R),
        rec(3, "db", SV, "stop", R, SG), rec(4, "db", SV, "stopped", SG, SD),
        rec(5, "db", SV, "clean", SD, CG), rec(6, "db", SV, "clean", SD, CG),
    ]  # fmt: skip
    error = violation(records)
    assert error.rule == "rule 2" and "second time" in str(error)


def test_a_service_stopping_while_a_task_works_is_rule_1() -> None:
    """A service leaves RUNNING while a task is RUNNING."""
    records = [
        rec(1, "db", SV, "start", C, S), rec(2, "db", SV, "started", S, R),
        rec(3, "t", T, "start", C, S), rec(4, "t", T, "started", S, R),
        rec(5, "db", SV, "stop", R, SG),
    ]  # fmt: skip
    error = violation(records)
    assert error.rule == "rule 1" and "['t']" in str(error)


def test_a_task_working_after_a_service_stopped_is_rule_1() -> None:
    """A task that first shows up after a service stopped is caught too."""
    records = [
        rec(1, "db", SV, "start", C, S), rec(2, "db", SV, "started", S, R),
        rec(3, "db", SV, "stop", R, SG), rec(4, "t", T, "start", C, S),
    ]  # fmt: skip
    error = violation(records)
    assert error.rule == "rule 1" and "'db' left RUNNING" in str(error)


def test_the_wrong_dependency_order_is_rule_3() -> None:
    """Told that db needs index, the history's start order breaks rule 3."""
    error = violation(history(), {"db": ("index",), "index": ()})
    assert error.rule == "rule 3" and "starts before ['index']" in str(error)


def test_a_service_stopping_before_its_users_ended_is_rule_3() -> None:
    """db stops while index, which needs it, still runs."""
    records = [
        rec(1, "db", SV, "start", C, S), rec(2, "db", SV, "started", S, R),
        rec(3, "index", SV, "start", C, S), rec(4, "index", SV, "started", S, R),
        rec(5, "db", SV, "stop", R, SG),
    ]  # fmt: skip
    error = violation(records, DEPENDS)
    assert error.rule == "rule 3" and "['index']" in str(error)


def test_the_dispatcher_stopped_while_tasks_work_is_rule_4() -> None:
    """The dispatcher's STOPPED needs every task stopped."""
    records = [
        rec(1, "dispatcher", D, "submit", C, S), rec(2, "t", T, "start", C, S),
        rec(3, "t", T, "started", S, R), rec(4, "dispatcher", D, "run", S, R),
        rec(5, "dispatcher", D, "drain", R, SG),
        rec(6, "dispatcher", D, "tasks_stopped", SG, SD),
    ]  # fmt: skip
    error = violation(records)
    assert error.rule == "rule 4" and "still work" in str(error)


def test_a_task_moving_after_the_dispatcher_stopped_is_rule_4() -> None:
    """A task that shows up working once the dispatcher is STOPPED is refused."""
    records = [
        rec(1, "dispatcher", D, "submit", C, S),
        rec(2, "dispatcher", D, "stop", S, SG),
        rec(3, "dispatcher", D, "tasks_stopped", SG, SD),
        rec(4, "t", T, "start", C, S),
    ]  # fmt: skip
    error = violation(records)
    assert error.rule == "rule 4" and "dispatcher reached STOPPED" in str(error)


@pytest.mark.parametrize(("event", "dest"), [("cleaned", CD), ("cleanup_failed", F)])
def test_a_terminal_dispatcher_needs_terminal_components(event, dest) -> None:
    """CLEANED needs all CLEANED; FAILED needs all terminal and one FAILED."""
    records = history()
    last = records[-1]
    assert last.component == "dispatcher"
    records.insert(-1, rec(0, "extra", SV, "start", C, S))
    records[-1] = last.model_copy(update={"event": event, "dest": dest})
    error = violation(renumber(records))
    assert error.rule == "rule 4"


def test_the_checker_can_be_forked() -> None:
    """A fork follows its own continuation; the original is untouched."""
    records = history()
    checker = TraceChecker(DEPENDS)
    for record in records[:5]:
        checker.feed(record)
    fork = checker.fork()
    for record in records[5:]:
        fork.feed(record)
    assert fork.dispatcher is CD and checker.dispatcher is S
    assert checker.fed == 5


def test_every_table_is_acyclic_so_cleanup_is_entered_once() -> None:
    """No phase can be re-entered along any table, CLEANING included."""
    for kind, table in TABLES.items():
        order = {phase: n for n, phase in enumerate(Phase)}
        backwards = [r for r in table if order[r.dest] <= order[r.source]]
        assert not backwards, f"{kind}: {backwards}"
