"""A drawing's content, whatever the format: nodes, edges and their styles.

The machine diagrams are built here straight from the tables in
`lifecycle.phases`; the diagram of one run is built in
`lifecycle.diagrams.runs` from a history. `lifecycle.diagrams.mermaid` and
`lifecycle.diagrams.dot` turn a `Graph` into text, so both formats always show
the same nodes, edges and labels.

Every node id is made by `node_id`, which keeps to letters, digits and
underscores and never yields a word Mermaid or DOT reserves: ids are for the
machine, labels are for people.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from lifecycle.phases import TABLES, Kind, Phase, Row

_UNSAFE = re.compile(r"[^A-Za-z0-9_]+")

#: Words that cannot be a node id in Mermaid or DOT, in any letter case.
RESERVED_IDS = frozenset(
    {
        "default", "end", "graph", "subgraph", "flowchart", "direction",
        "style", "class", "classdef", "linkstyle", "click", "call", "href",
        "node", "edge", "digraph", "strict", "state", "note",
    }
)  # fmt: skip


class NodeStyle(enum.Enum):
    """How a node is drawn."""

    PHASE = "phase"
    START = "start"
    #: A phase where components ended, cleanly.
    CLEANED = "cleaned"
    #: A phase where components ended with something left uncleaned.
    FAILED = "failed"
    #: A phase components are still in (the run has not ended).
    CURRENT = "current"


@dataclass(frozen=True)
class Node:
    """One state of a drawing; `lines` is its label, one string per line."""

    id: str
    lines: tuple[str, ...]
    style: NodeStyle = NodeStyle.PHASE


@dataclass(frozen=True)
class Edge:
    """One arrow; `lines` is its label. A failure edge is drawn dashed, in red."""

    source: str
    dest: str
    lines: tuple[str, ...] = ()
    failure: bool = False


@dataclass
class Cluster:
    """A group of nodes and the edges among them, drawn in a box when titled."""

    id: str
    title: str = ""
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)


@dataclass
class Graph:
    """A whole drawing: a title and its clusters, drawn in order."""

    name: str
    title: str
    clusters: list[Cluster] = field(default_factory=list)

    def nodes(self) -> list[Node]:
        return [node for cluster in self.clusters for node in cluster.nodes]

    def edges(self) -> list[Edge]:
        return [edge for cluster in self.clusters for edge in cluster.edges]


def node_id(*parts: str) -> str:
    """An id made of `parts` that Mermaid and DOT both take as a plain name.

    Runs of anything but ASCII letters, digits and underscores become one
    underscore; an id that would start with a digit or an underscore, or that
    is a reserved word, gets an `n` in front.
    """
    text = "_".join(_UNSAFE.sub("_", part).strip("_") for part in parts if part)
    if not text or not text[0].isalpha() or text.lower() in RESERVED_IDS:
        text = "n" + text
    return text


def phase_style(phase: Phase) -> NodeStyle:
    """The style of a terminal phase; PHASE for the others."""
    if phase is Phase.CLEANED:
        return NodeStyle.CLEANED
    if phase is Phase.FAILED:
        return NodeStyle.FAILED
    return NodeStyle.PHASE


def edge_text(row: Row) -> str:
    """A row's edge label: its event, then its guard in brackets if any."""
    if row.guard is None:
        return row.event
    return f"{row.event} [{row.guard.label}]"


def merge_parallel(edges: Iterable[Edge]) -> list[Edge]:
    """Join edges with the same ends and style into one, their labels stacked.

    Mermaid draws two arrows between the same nodes on top of each other, so
    their labels would overlap; one arrow with both labels reads better.
    """
    merged: dict[tuple[str, str, bool], Edge] = {}
    for edge in edges:
        key = (edge.source, edge.dest, edge.failure)
        if key in merged:
            before = merged[key]
            edge = Edge(edge.source, edge.dest, before.lines + edge.lines, edge.failure)
        merged[key] = edge
    return list(merged.values())


def machine_graph(kind: Kind) -> Graph:
    """The diagram of one machine, drawn from its table in `lifecycle.phases`.

    Every phase some row names is a node, in `Phase` order, after a start
    marker pointing at CREATED; every row is an edge labelled
    `event [guard]`; rows taken only when something went wrong are failure
    edges.
    """
    table = TABLES[kind]
    used = {row.source for row in table} | {row.dest for row in table}
    cluster = Cluster(node_id(kind.value))
    start = node_id(kind.value, "start")
    cluster.nodes.append(Node(start, (), NodeStyle.START))
    for phase in Phase:
        if phase in used:
            node = Node(
                node_id(kind.value, phase.name), (phase.name,), phase_style(phase)
            )
            cluster.nodes.append(node)
    edges = [Edge(start, node_id(kind.value, Phase.CREATED.name))]
    edges += [
        Edge(
            node_id(kind.value, row.source.name),
            node_id(kind.value, row.dest.name),
            (edge_text(row),),
            row.failure,
        )
        for row in table
    ]
    cluster.edges = merge_parallel(edges)
    return Graph(kind.value, f"{kind.value} lifecycle", [cluster])
