"""Every generated Mermaid diagram renders, and renders right, in real Mermaid.

These tests run Mermaid's own renderer in a headless Chromium through
tools/render_mermaid.sh, and are skipped, saying why, where it has not been
installed (`tools/render_mermaid.sh --install` installs it; `.ci/run` does).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from lifecycle.diagrams import MACHINES, machine_diagram, run_diagram
from lifecycle.diagrams.graph import Graph, NodeStyle, machine_graph
from lifecycle.diagrams.mermaid import CLASS_DEFS
from lifecycle.diagrams.runs import TIMES, run_graph
from lifecycle.phases import Kind
from tests.diagram_jobs import failed_job, parked_job_diagram

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tools" / "render_mermaid.sh"
CACHE = Path(os.environ.get("LIFECYCLE_MERMAID_CACHE", ROOT / "tools" / ".mermaid"))
LOCK = ROOT / "tools" / "mermaid" / "package-lock.json"
RENDER_TIMEOUT = 100

#: The rendered diagrams whose drawing model the tests compare with the SVG.
DRAWN = [kind.value for kind in MACHINES] + ["failed-run", "two-jobs"]


def _missing() -> str | None:
    """Why Mermaid cannot be run here, or None when it can."""
    if shutil.which("node") is None:
        return "node is not installed"
    browsers = [os.environ.get("CHROMIUM", ""), "chromium", "chromium-browser"]
    if not any(name and shutil.which(name) for name in [*browsers, "google-chrome"]):
        return "no Chromium found: run tools/render_mermaid.sh --install"
    installed = CACHE / "installed.lock"
    if not installed.exists() or installed.read_bytes() != LOCK.read_bytes():
        return "Mermaid CLI not installed: run tools/render_mermaid.sh --install"
    return None


pytestmark = pytest.mark.skipif(_missing() is not None, reason=str(_missing()))


def render(paths: list[Path], out: Path) -> subprocess.CompletedProcess[str]:
    """Run tools/render_mermaid.sh on `paths`, never installing anything."""
    return subprocess.run(
        ["bash", str(SCRIPT), "--no-install", "--out", str(out), *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=RENDER_TIMEOUT,
        check=False,
    )


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Graph, str]]:
    """Render the machine diagrams and two run diagrams once; map name to SVG."""
    source = tmp_path_factory.mktemp("mmd")
    out = tmp_path_factory.mktemp("svg")
    job = failed_job("failed-render")
    graphs = {kind.value: machine_graph(kind) for kind in MACHINES}
    graphs["failed-run"] = run_graph(job.history, "job failed-render")
    again = [record.model_copy(update={"job": "again"}) for record in job.history]
    graphs["two-jobs"] = run_graph([*job.history, *again])
    texts = {kind.value: machine_diagram(kind) for kind in MACHINES}
    texts["failed-run"] = run_diagram(job.history, title="job failed-render")
    texts["two-jobs"] = run_diagram([*job.history, *again])
    texts["parked-run"] = parked_job_diagram("parked-render")
    texts["empty-run"] = run_diagram([])
    for name, text in texts.items():
        (source / f"{name}.mmd").write_text(text, encoding="utf-8")
    done = render([source], out)
    assert done.returncode == 0, done.stderr
    svgs = {path.stem: path.read_text() for path in out.glob("*.svg")}
    assert sorted(svgs) == sorted(texts)
    return {name: (graphs.get(name), svg) for name, svg in svgs.items()}


def _nodes(svg: str) -> dict[str, str]:
    """Node id to the style class Mermaid drew it with."""
    found = re.findall(
        r'<g class="node default (\w+)" id="[\w-]*?flowchart-(\w+)-\d+"', svg
    )
    return {node: style for style, node in found}


def _edge_styles(svg: str) -> list[str]:
    """The inline style of each drawn edge (invisible ones left out)."""
    paths = re.findall(r"<path [^>]*?data-id=\"L_[^>]*>", svg)
    visible = [path for path in paths if "edge-thickness-invisible" not in path]
    return [re.search(r'style="([^"]*)"', path)[1] for path in visible]


@pytest.mark.parametrize("name", DRAWN)
def test_every_state_is_drawn_once_with_its_highlight(rendered, name: str) -> None:
    """Mermaid draws exactly the graph's nodes, each with its style class."""
    graph, svg = rendered[name]
    assert _nodes(svg) == {node.id: node.style.value for node in graph.nodes()}


@pytest.mark.parametrize("name", DRAWN)
def test_every_edge_is_drawn_and_failures_are_red(rendered, name: str) -> None:
    """Mermaid draws every edge; exactly the failure edges carry the red stroke."""
    graph, svg = rendered[name]
    styles = _edge_styles(svg)
    assert len(styles) == len(graph.edges())
    red = [style for style in styles if "#b3261e" in style]
    assert len(red) == sum(edge.failure for edge in graph.edges())


@pytest.mark.parametrize("name", DRAWN)
def test_the_title_is_shown(rendered, name: str) -> None:
    """The front-matter title is drawn, not dropped."""
    graph, svg = rendered[name]
    assert f'class="flowchartTitleText">{graph.title}</text>' in svg


def test_a_failed_run_shows_its_errors_and_boxes(rendered) -> None:
    """The run's three boxes are drawn, and its error text reads as written."""
    _, svg = rendered["failed-run"]
    boxes = re.findall(
        r'<g class="cluster[^"]*" id="[\w-]*?(dispatcher|services|tasks)"', svg
    )
    assert sorted(boxes) == ["dispatcher", "services", "tasks"]
    assert "ValueError('item 7 is bad')" in svg
    assert f"task_failed {TIMES}1" in svg


def test_a_parked_run_highlights_the_phases_still_occupied(rendered) -> None:
    """A job still running draws its current phases in the amber style."""
    _, svg = rendered["parked-run"]
    nodes = _nodes(svg)
    assert nodes["dispatcher_STOPPED"] == NodeStyle.CURRENT.value
    assert nodes["services_RUNNING"] == NodeStyle.CURRENT.value
    assert CLASS_DEFS[NodeStyle.CURRENT].split(",")[0].split(":")[1] in svg


def test_the_renderer_fails_on_a_mermaid_error(tmp_path: Path) -> None:
    """A diagram Mermaid cannot parse fails the check, naming the file."""
    bad = tmp_path / "bad.mmd"
    bad.write_text("stateDiagram-v2\n  default --> end-state\n")
    done = render([bad], tmp_path / "out")
    assert done.returncode == 1
    assert f"MERMAID ERROR in {bad}" in done.stderr
    assert Kind.TASK.value not in done.stdout
