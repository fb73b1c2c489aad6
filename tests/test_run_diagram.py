"""The diagram of one run, drawn from a real job's history."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lifecycle import LocalEnvironment, Outcome, Phase, load_jsonl, save_jsonl
from lifecycle.diagrams import run_diagram
from lifecycle.diagrams.graph import NodeStyle
from lifecycle.diagrams.runs import TIMES, names, run_graph, shorten
from tests.diagram_jobs import (
    FAILING_TASK,
    SERVICE_ERROR,
    TASK_ERROR,
    failed_job,
    links,
    node_classes,
    node_labels,
    parked_job_diagram,
    styled_links,
)


@pytest.fixture(scope="module")
def failed():
    """One job whose task raised and whose service `index` failed to clean."""
    return failed_job()


def test_a_failed_run_shows_who_failed_dashed_and_red(failed) -> None:
    """The task and cleanup failures are dashed red edges naming who and why."""
    assert failed.outcome is Outcome.FAILED and failed.state is Phase.FAILED
    text = failed.diagram()
    dashed = {link.label: link for link in links(text) if link.arrow == "-.->"}
    task_failed = next(label for label in dashed if label.startswith("task_failed"))
    assert FAILING_TASK in task_failed and TASK_ERROR in task_failed
    assert dashed[task_failed].source == "tasks_RUNNING"
    cleanup = next(x for x in dashed if x.startswith(f"cleanup_failed {TIMES}1"))
    assert "index" in cleanup and SERVICE_ERROR in cleanup
    assert {link.number for link in dashed.values()} == styled_links(text)


def test_a_failed_run_highlights_where_components_ended(failed) -> None:
    """Tasks end green in CLEANED; the failed service and the dispatcher red."""
    text = failed.diagram()
    classes, labels = node_classes(text), node_labels(text)
    assert classes["tasks_CLEANED"] == NodeStyle.CLEANED.value
    assert labels["tasks_CLEANED"] == "CLEANED<br>5 ended here"
    assert classes["services_FAILED"] == NodeStyle.FAILED.value
    assert labels["services_FAILED"] == "FAILED<br>1 ended here"
    assert classes["services_CLEANED"] == NodeStyle.CLEANED.value
    assert classes["dispatcher_FAILED"] == NodeStyle.FAILED.value
    assert classes["tasks_RUNNING"] == NodeStyle.PHASE.value


def test_edges_count_the_components_that_took_them(failed) -> None:
    """Each component edge says how many took it; the dispatcher's say why."""
    labels = [link.label for link in links(failed.diagram())]
    assert f"start {TIMES}5" in labels and f"started {TIMES}5" in labels
    assert f"clean [setup returned] {TIMES}5" in labels
    assert f"stop {TIMES}2" in labels
    teardown = next(label for label in labels if label.startswith("teardown<br>"))
    assert FAILING_TASK in teardown


def test_only_the_phases_visited_are_drawn(failed) -> None:
    """A run that never overran draws no edge the run did not take."""
    graph = run_graph(failed.history)
    taken = {(r.kind, r.event, r.source, r.dest) for r in failed.history if not r.noop}
    events = {line.split()[0] for edge in graph.edges() for line in edge.lines[:1]}
    assert events == {event for _, event, _, _ in taken}
    assert "overran" not in events and "cancel" not in events


def test_a_saved_trace_draws_the_same_diagram(failed, tmp_path: Path) -> None:
    """Records read back from JSON Lines draw what the live history draws."""
    path = save_jsonl(failed.history, tmp_path / "trace.jsonl")
    assert run_diagram(load_jsonl(path)) == run_diagram(failed.history)
    assert run_diagram(load_jsonl(path)).splitlines()[1] == 'title: "run of job failed"'


def test_a_running_job_shows_where_components_still_are() -> None:
    """A parked job's diagram fills STOPPED and the running service in amber."""
    text = parked_job_diagram()
    classes, labels = node_classes(text), node_labels(text)
    assert 'title: "job parked: STOPPED"' in text
    assert classes["dispatcher_STOPPED"] == NodeStyle.CURRENT.value
    assert classes["services_RUNNING"] == NodeStyle.CURRENT.value
    # Tasks are STOPPED, and some may still be cleaning up: count them all.
    where = {
        node: int(re.search(r"<br>(\d+) (ended|still) here", label)[1])
        for node, label in labels.items()
        if node.startswith("tasks_") and "<br>" in label
    }
    assert sum(where.values()) == 4
    assert set(where) <= {"tasks_STOPPED", "tasks_CLEANING", "tasks_CLEANED"}
    for node in where:
        expected = NodeStyle.CLEANED if node == "tasks_CLEANED" else NodeStyle.CURRENT
        assert classes[node] == expected.value


def test_identical_paths_of_many_tasks_aggregate_into_one_box() -> None:
    """Twelve tasks with the same path draw one task machine counting twelve."""
    with LocalEnvironment("wide", check=True) as env:
        env.from_batch(range(100)).map(lambda x: x, parallelism=10).sink(print)
        job = env.submit()
    text = job.diagram()
    assert text.count("subgraph ") == 2
    assert '"12 tasks: source, map:lambda[0..9], sink:print"' in text
    assert f'"drained {TIMES}12"' in text


def test_noop_records_draw_nothing(failed) -> None:
    """A record that changed nothing (a second stop) adds no edge and no node."""
    last = failed.history[-1]
    noop = last.model_copy(
        update={"seq": last.seq + 1, "event": "stop", "source": last.dest, "noop": True}
    )
    assert run_graph([*failed.history, noop]) == run_graph(failed.history)


def test_records_of_two_jobs_draw_a_set_of_boxes_each(failed) -> None:
    """Boxes are prefixed and titled with their job when records mix jobs."""
    with LocalEnvironment("other", check=True) as env:
        env.from_batch([1]).sink(print)
        other = env.submit()
    graph = run_graph([*failed.history, *other.history])
    titles = [cluster.title for cluster in graph.clusters]
    assert (
        titles[0] == "job failed: dispatcher" and titles[3] == "job other: dispatcher"
    )
    assert graph.clusters[3].id == "j2_dispatcher"
    assert graph.clusters[3].nodes[1].id == "j2_dispatcher_CREATED"
    assert graph.title == "run of jobs failed, other"


def test_no_records_draw_an_empty_diagram() -> None:
    """An empty trace gives a diagram with a title and nothing else."""
    text = run_diagram([])
    assert "subgraph" not in text and "-->" not in text
    assert text.splitlines()[1] == 'title: "run with no records"'


def test_a_run_diagram_also_comes_as_dot(failed) -> None:
    """The same run as DOT has one cluster per box and dashed failure edges."""
    text = run_diagram(failed.history, text_format="dot")
    assert text.count('subgraph "cluster_') == 3
    assert "style=dashed" in text


@pytest.mark.parametrize(
    ("members", "shown"),
    [
        (["source", "map[0]", "map[1]", "map[2]", "sink"], "source, map[0..2], sink"),
        (["map[0]", "map[2]"], "map[0,2]"),
        (["map[1]"], "map[1]"),
        (["a", "b", "c", "d", "e", "f"], "a, b, c, d, +2 more"),
    ],
)
def test_names_join_parallel_instances_and_cut_long_lists(
    members: list[str], shown: str
) -> None:
    """Instances read as ranges or lists; past four entries the rest are counted."""
    assert names(members) == shown


def test_long_details_are_cut_on_one_line() -> None:
    """A detail is flattened to one line and cut with an ellipsis."""
    assert shorten("a\n  b") == "a b"
    assert shorten("x" * 100, width=10) == "x" * 9 + "…"
