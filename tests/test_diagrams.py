"""The machine diagrams: drawn from the tables, written by `lifecycle diagrams`."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from lifecycle import cli
from lifecycle.diagrams import MACHINES, machine_diagram, write_diagrams
from lifecycle.diagrams.dot import label as dot_label
from lifecycle.diagrams.dot import render
from lifecycle.diagrams.graph import (
    RESERVED_IDS,
    Edge,
    NodeStyle,
    edge_text,
    machine_graph,
    merge_parallel,
    node_id,
)
from lifecycle.diagrams.mermaid import escape
from lifecycle.errors import LifecycleError
from lifecycle.phases import TABLES, Kind, Phase
from tests.diagram_jobs import links, node_classes, node_labels, styled_links

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "diagrams"
SAFE_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
REGENERATE = "lifecycle diagrams --format mermaid --format dot"
needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz's dot is not installed"
)


def lifecycle_command(*argv: str) -> int:
    """Run `lifecycle ARGV` with only the diagrams subcommand registered."""
    return cli.main(list(argv))


@pytest.fixture(autouse=True)
def only_the_diagrams_command(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the CLI to this branch's subcommand, whatever else is registered."""
    monkeypatch.setattr(cli, "COMMANDS", ("lifecycle.diagrams.command",))


@pytest.mark.parametrize("kind", MACHINES)
def test_every_row_is_an_edge_labelled_with_its_event_and_guard(kind: Kind) -> None:
    """Each table row appears once, as `event [guard]`, between the right phases."""
    graph = machine_graph(kind)
    drawn = {
        (edge.source, line, edge.dest) for edge in graph.edges() for line in edge.lines
    }
    rows = {
        (
            node_id(kind.value, r.source.name),
            edge_text(r),
            node_id(kind.value, r.dest.name),
        )
        for r in TABLES[kind]
    }
    assert drawn == rows


@pytest.mark.parametrize("kind", MACHINES)
def test_failure_rows_and_only_they_are_dashed_and_red(kind: Kind) -> None:
    """A Mermaid link is dashed and styled red exactly when its rows are failures."""
    text = machine_diagram(kind)
    failure_texts = {edge_text(row) for row in TABLES[kind] if row.failure}
    for link in links(text):
        failed = bool(set(link.label.split("<br>")) & failure_texts)
        assert (link.arrow == "-.->") is failed, link
        assert (link.number in styled_links(text)) is failed, link


def test_dispatcher_guards_read_as_in_the_design() -> None:
    """The dispatcher's automatic rows show their guards in brackets."""
    text = machine_diagram(Kind.DISPATCHER)
    for guard in ("[all tasks stopped]", "[autostop, stop asked or failed]"):
        assert guard in text


@pytest.mark.parametrize("kind", MACHINES)
def test_phases_are_nodes_with_safe_ids_and_terminals_highlighted(kind: Kind) -> None:
    """Every phase is a node named by its label; CLEANED and FAILED are filled."""
    text = machine_diagram(kind)
    labels = {n: text for n, text in node_labels(text).items() if "start" not in n}
    assert sorted(labels.values()) == sorted(p.name for p in Phase)
    assert all(SAFE_ID.match(node) for node in labels)
    classes = node_classes(text)
    assert classes[node_id(kind.value, "CLEANED")] == NodeStyle.CLEANED.value
    assert classes[node_id(kind.value, "FAILED")] == NodeStyle.FAILED.value
    assert classes[node_id(kind.value, "RUNNING")] == NodeStyle.PHASE.value


@pytest.mark.parametrize("kind", MACHINES)
def test_the_title_is_quoted_front_matter(kind: Kind) -> None:
    """The title sits in a front-matter block Mermaid reads, quoted."""
    lines = machine_diagram(kind).splitlines()
    assert lines[0] == "---" and lines[2] == "---"
    key, _, value = lines[1].partition(": ")
    assert key == "title" and json.loads(value) == f"{kind.value} lifecycle"
    assert lines[3] == "flowchart LR"


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (("tasks", "RUNNING"), "tasks_RUNNING"),
        (("map:my-func[0]",), "map_my_func_0"),
        (("default",), "ndefault"),
        (("End",), "nEnd"),
        (("a b", "c"), "a_b_c"),
        (("9lives",), "n9lives"),
        (("",), "n"),
        (("élan",), "lan"),
    ],
)
def test_node_ids_never_need_quoting(parts: tuple[str, ...], expected: str) -> None:
    """Hyphens, spaces, brackets, a leading digit and reserved words are made safe."""
    made = node_id(*parts)
    assert made == expected
    assert SAFE_ID.match(made) and made.lower() not in RESERVED_IDS


def test_mermaid_labels_show_markup_as_text() -> None:
    """Quotes, angle brackets, hashes, ampersands and backticks become entities."""
    escaped = escape('say "<b>hi</b>" #1 & `x`')
    assert not set('"<>`') & set(escaped)
    assert escaped == "say #quot;#lt;b#gt;hi#lt;/b#gt;#quot; #35;1 #amp; #96;x#96;"


def test_dot_labels_escape_quotes_and_backslashes() -> None:
    """A DOT label keeps quotes and backslashes literal and breaks lines with \\n."""
    assert dot_label(('say "hi"', "C:\\temp")) == '"say \\"hi\\"\\nC:\\\\temp"'


def test_parallel_edges_merge_into_one_with_both_labels() -> None:
    """Two rows between the same phases draw one arrow; a failure stays apart."""
    merged = merge_parallel(
        [
            Edge("a", "b", ("one",)),
            Edge("a", "b", ("two",)),
            Edge("a", "b", ("x",), True),
        ]
    )
    assert merged == [Edge("a", "b", ("one", "two")), Edge("a", "b", ("x",), True)]


def test_the_committed_diagrams_are_fresh(tmp_path: Path) -> None:
    """diagrams/ holds exactly what the tables generate now."""
    write_diagrams(tmp_path, ["mermaid", "dot"])
    expected = {path.name: path.read_text() for path in tmp_path.iterdir()}
    committed = {path.name: path.read_text() for path in COMMITTED.iterdir()}
    stale = sorted(set(expected) ^ set(committed)) or [
        name for name in expected if expected[name] != committed[name]
    ]
    assert not stale, f"diagrams/ is stale ({', '.join(stale)}): run `{REGENERATE}`"


def test_the_docs_embed_the_current_diagrams() -> None:
    """docs/diagrams.md shows each machine's Mermaid text as it is generated now."""
    docs = (ROOT / "docs" / "diagrams.md").read_text()
    for kind in MACHINES:
        block = f"```mermaid\n{machine_diagram(kind)}```"
        assert block in docs, f"update the {kind.value} diagram in docs/diagrams.md"


def test_the_command_writes_mermaid_into_diagrams_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`lifecycle diagrams` writes diagrams/task.mmd, service.mmd, dispatcher.mmd."""
    monkeypatch.chdir(tmp_path)
    assert lifecycle_command("diagrams") == 0
    names = sorted(path.name for path in (tmp_path / "diagrams").iterdir())
    assert names == ["dispatcher.mmd", "service.mmd", "task.mmd"]
    assert (tmp_path / "diagrams" / "task.mmd").read_text() == machine_diagram(
        Kind.TASK
    )
    assert "diagrams/task.mmd" in capsys.readouterr().out


def test_the_command_writes_dot_into_the_directory_given(tmp_path: Path) -> None:
    """`--format dot --out DIR` writes the three DOT files into DIR, created."""
    out = tmp_path / "new" / "dir"
    assert lifecycle_command("diagrams", "--format", "dot", "--out", str(out)) == 0
    for kind in MACHINES:
        text = (out / f"{kind.value}.dot").read_text()
        assert text == machine_diagram(kind, "dot")
        assert text.startswith(f'digraph "{kind.value}" {{')


def test_without_graphviz_images_fail_in_one_line_naming_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """With no `dot` on PATH, svg exits 1 saying install graphviz; nothing written."""
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    out = tmp_path / "out"
    assert lifecycle_command("diagrams", "--format", "svg", "--out", str(out)) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "graphviz" in error and "Traceback" not in error
    assert not out.exists()


def test_an_unwritable_out_directory_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--out naming a file exits 1 with the reason, no traceback."""
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert lifecycle_command("diagrams", "--out", str(blocker)) == 1
    assert capsys.readouterr().err.startswith("lifecycle diagrams: ")


def test_an_unknown_format_is_refused() -> None:
    """A format no writer knows raises ValueError naming the known ones."""
    with pytest.raises(ValueError, match="mermaid"):
        write_diagrams("unused", ["jpeg"])
    with pytest.raises(ValueError, match="svg"):
        machine_diagram(Kind.TASK, "svg")
    with pytest.raises(ValueError, match="svg or png"):
        render("digraph {}", "gif")


@needs_dot
def test_with_graphviz_the_command_draws_svg_and_png(tmp_path: Path) -> None:
    """`--format svg --format png` writes real images drawn by Graphviz."""
    assert (
        lifecycle_command(
            "diagrams", "--format", "svg", "--format", "png", "--out", str(tmp_path)
        )
        == 0
    )
    for kind in MACHINES:
        svg = (tmp_path / f"{kind.value}.svg").read_text()
        assert "<svg" in svg and f"{kind.value} lifecycle" in svg
        assert ">CLEANING</text>" in svg
        png = (tmp_path / f"{kind.value}.png").read_bytes()
        assert png.startswith(b"\x89PNG\r\n\x1a\n")


@needs_dot
def test_graphviz_errors_are_reported_with_its_message() -> None:
    """DOT that Graphviz rejects raises LifecycleError carrying dot's reason."""
    with pytest.raises(LifecycleError, match=r"dot failed: .*syntax error"):
        render("digraph { a -> }", "svg")
