"""A `Graph` as Graphviz DOT text, and DOT rendered to SVG or PNG by `dot`.

The DOT text needs no program. Drawing it needs Graphviz's `dot` command,
which is a system package, not a Python one: where it is missing,
`render` raises `GraphvizMissing` with a message saying what to install.
"""

from __future__ import annotations

import shutil
import subprocess

from lifecycle.diagrams.graph import Cluster, Edge, Graph, Node, NodeStyle
from lifecycle.errors import LifecycleError

#: Formats `render` asks `dot` for.
IMAGE_FORMATS = ("svg", "png")

#: How long one `dot` run may take, in seconds.
DOT_TIMEOUT = 60.0

_FONT = 'fontname="Helvetica"'

#: DOT attributes of each node style.
NODE_ATTRIBUTES = {
    NodeStyle.PHASE: 'fillcolor="#f4f6f8", color="#5b6770"',
    NodeStyle.START: 'shape=point, width=0.15, color="#1d2327"',
    NodeStyle.CLEANED: 'fillcolor="#d7f0de", color="#2e7d4f", penwidth=2',
    NodeStyle.FAILED: 'fillcolor="#fbdcdc", color="#b3261e", penwidth=2',
    NodeStyle.CURRENT: 'fillcolor="#fff1c2", color="#a06a00", penwidth=2',
}
FAILURE_EDGE = 'style=dashed, color="#b3261e", fontcolor="#b3261e"'


class GraphvizMissing(LifecycleError):
    """Graphviz's `dot` program is not installed, so no SVG or PNG is drawn."""


def quote(text: str) -> str:
    """`text` as a quoted DOT string, shown as written."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def label(lines: tuple[str, ...]) -> str:
    """Lines of text as one DOT label, centred line by line."""
    return quote("\n".join(lines)).replace("\n", "\\n")


def to_dot(graph: Graph) -> str:
    """DOT text of `graph`, ending with a newline."""
    out = [
        f"digraph {quote(graph.name)} {{",
        f"  graph [rankdir=LR, labelloc=t, label={quote(graph.title)}, {_FONT}];",
        f'  node [shape=box, style="rounded,filled", {_FONT}, fontsize=12];',
        f"  edge [{_FONT}, fontsize=10];",
    ]
    for cluster in graph.clusters:
        out += _cluster(cluster)
    out.append("}")
    return "\n".join(out) + "\n"


def _cluster(cluster: Cluster) -> list[str]:
    indent = "    " if cluster.title else "  "
    body = [indent + _node(node) for node in cluster.nodes]
    body += [indent + _edge(edge) for edge in cluster.edges]
    if not cluster.title:
        return body
    head = [
        f"  subgraph {quote('cluster_' + cluster.id)} {{",
        f'    label={quote(cluster.title)}; style="rounded"; color="#9aa5ad";',
    ]
    return [*head, *body, "  }"]


def _node(node: Node) -> str:
    attributes = NODE_ATTRIBUTES[node.style]
    if node.style is not NodeStyle.START:
        attributes = f"label={label(node.lines)}, {attributes}"
    return f"{node.id} [{attributes}];"


def _edge(edge: Edge) -> str:
    attributes = [f"label={label(edge.lines)}"] if edge.lines else []
    if edge.failure:
        attributes.append(FAILURE_EDGE)
    suffix = f" [{', '.join(attributes)}]" if attributes else ""
    return f"{edge.source} -> {edge.dest}{suffix};"


def dot_program() -> str:
    """The path of Graphviz's `dot`.

    Raises:
        GraphvizMissing: it is not on PATH.
    """
    found = shutil.which("dot")
    if found is None:
        raise GraphvizMissing(
            "drawing SVG or PNG needs Graphviz's `dot` program, which is not "
            "installed: install the `graphviz` system package (apt-get install "
            "graphviz, dnf install graphviz or brew install graphviz), or ask "
            "for --format mermaid or dot"
        )
    return found


def render(dot_text: str, image_format: str) -> bytes:
    """Draw DOT text as an SVG or PNG image with Graphviz's `dot`.

    Raises:
        GraphvizMissing: `dot` is not installed.
        LifecycleError: `dot` failed; its message is included.
    """
    if image_format not in IMAGE_FORMATS:
        raise ValueError(
            f"dot can draw {' or '.join(IMAGE_FORMATS)}, not {image_format!r}"
        )
    try:
        done = subprocess.run(
            [dot_program(), f"-T{image_format}"],
            input=dot_text.encode(),
            capture_output=True,
            timeout=DOT_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise LifecycleError(f"Graphviz's dot ran over {DOT_TIMEOUT:g} s") from None
    if done.returncode != 0:
        reason = done.stderr.decode(errors="replace").strip()
        raise LifecycleError(f"Graphviz's dot failed: {reason}")
    return done.stdout
