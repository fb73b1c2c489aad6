"""A `Graph` as Mermaid text: a flowchart with rounded states.

A flowchart rather than a `stateDiagram`: Mermaid's state diagrams cannot
style one transition apart from the others, and failure edges must stand out.
States are rounded boxes, the start is a small black dot, failure edges are
dashed and red, and the phases where components ended are filled (green for
CLEANED, red for FAILED, amber for a phase a running job is still in).

The title goes in YAML front matter, quoted, so Mermaid shows it. Labels are
always quoted, with the characters Mermaid would read as markup written as
its `#code;` entities.
"""

from __future__ import annotations

import itertools
import json

from lifecycle.diagrams.graph import Cluster, Edge, Graph, Node, NodeStyle

#: Fill, stroke and text colours of each node style.
CLASS_DEFS = {
    NodeStyle.PHASE: "fill:#f4f6f8,stroke:#5b6770,color:#1d2327",
    NodeStyle.START: "fill:#1d2327,stroke:#1d2327",
    NodeStyle.CLEANED: "fill:#d7f0de,stroke:#2e7d4f,stroke-width:2px,color:#14391f",
    NodeStyle.FAILED: "fill:#fbdcdc,stroke:#b3261e,stroke-width:2px,color:#5c0f0a",
    NodeStyle.CURRENT: "fill:#fff1c2,stroke:#a06a00,stroke-width:2px,color:#3d2900",
}
FAILURE_LINK = "stroke:#b3261e,stroke-width:1.5px,stroke-dasharray:6 4,color:#b3261e"
CLUSTER_STYLE = "fill:#fbfcfd,stroke:#9aa5ad,color:#1d2327"

_ENTITIES = {
    "#": "#35;",
    '"': "#quot;",
    "<": "#lt;",
    ">": "#gt;",
    "&": "#amp;",
    "`": "#96;",
}


def escape(text: str) -> str:
    """`text` safe inside a quoted Mermaid label, shown as written."""
    return "".join(_ENTITIES.get(char, char) for char in text)


def label(lines: tuple[str, ...]) -> str:
    """Lines of text as one quoted Mermaid label."""
    return '"' + "<br>".join(escape(line) for line in lines) + '"'


def to_mermaid(graph: Graph) -> str:
    """Mermaid text of `graph`, ending with a newline.

    A graph of titled clusters (a run) stacks them top to bottom, in order,
    each drawn left to right; a graph of one untitled cluster (a machine) is
    drawn left to right.
    """
    boxes = [cluster.id for cluster in graph.clusters if cluster.title]
    out = ["---", f"title: {json.dumps(graph.title)}", "---"]
    out.append(f"flowchart {'TB' if boxes else 'LR'}")
    out += [f"  classDef {style.value} {css}" for style, css in CLASS_DEFS.items()]
    failures: list[int] = []
    links = 0
    for cluster in graph.clusters:
        lines, failed = _cluster(cluster, first_link=links)
        out += lines
        failures += failed
        links += len(cluster.edges)
    # Invisible links keep the boxes in order; they come after every edge so
    # that the edges' link numbers do not move.
    out += [f"  {upper} ~~~ {lower}" for upper, lower in itertools.pairwise(boxes)]
    out += [f"  style {box} {CLUSTER_STYLE}" for box in boxes]
    if failures:
        out.append(f"  linkStyle {','.join(map(str, failures))} {FAILURE_LINK}")
    for style in NodeStyle:
        ids = [node.id for node in graph.nodes() if node.style is style]
        if ids:
            out.append(f"  class {','.join(ids)} {style.value}")
    return "\n".join(out) + "\n"


def _cluster(cluster: Cluster, first_link: int) -> tuple[list[str], list[int]]:
    """The lines of one cluster and the link numbers of its failure edges."""
    indent = "    " if cluster.title else "  "
    body = [indent + _node(node) for node in cluster.nodes]
    body += [indent + _edge(edge) for edge in cluster.edges]
    failures = [
        first_link + number for number, edge in enumerate(cluster.edges) if edge.failure
    ]
    if not cluster.title:
        return body, failures
    head = [f"  subgraph {cluster.id} [{label((cluster.title,))}]", "    direction LR"]
    return [*head, *body, "  end"], failures


def _node(node: Node) -> str:
    if node.style is NodeStyle.START:
        return f'{node.id}((" "))'
    return f"{node.id}({label(node.lines)})"


def _edge(edge: Edge) -> str:
    arrow = "-.->" if edge.failure else "-->"
    text = f"|{label(edge.lines)}|" if edge.lines else ""
    return f"{edge.source} {arrow}{text} {edge.dest}"
