"""The diagram of one run: the path a job's components took, from its history.

One box per kind of component (the dispatcher, the services, the tasks), not
one per component: the components of a kind are aggregated, so a job with a
dozen tasks draws one task machine whose edges count the tasks that took each.
Within a box, only the phases someone visited and the edges someone took are
drawn, in `Phase` order, edges in the order first taken.

Failure edges are dashed and red, and name the components that took them and
the first one's error, because that is what a reader of a failed run looks
for. The phases where components ended are filled: green CLEANED, red FAILED,
amber for a phase a job still running is in; their label says how many ended
there. The dispatcher's edges carry the reason the kernel recorded (why it
stopped, why it tore down).

Records that changed nothing (`noop`, a second stop) are left out. Records of
several jobs draw one set of boxes per job, titled with the job's name; their
ids are numbered (`j1_tasks_RUNNING`), since two names may differ only in
characters an id cannot hold.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from lifecycle.diagrams.graph import (
    Cluster,
    Edge,
    Graph,
    Node,
    NodeStyle,
    edge_text,
    merge_parallel,
    node_id,
    phase_style,
)
from lifecycle.phases import TABLES, Kind, Phase, Row

#: Order of the boxes, and the word for their members.
KIND_ORDER = {
    Kind.DISPATCHER: "dispatcher",
    Kind.SERVICE: "services",
    Kind.TASK: "tasks",
}

#: Each table's rows by (event, source, dest), to find a taken edge's guard.
_ROWS = {
    kind: {(row.event, row.source, row.dest): row for row in table}
    for kind, table in TABLES.items()
}

#: The sign between an edge's event and how many components took it.
TIMES = "\N{MULTIPLICATION SIGN}"

#: How many component names a box title or an edge label shows at most.
NAMES_SHOWN = 4

#: How many characters of a recorded detail an edge label shows at most.
DETAIL_SHOWN = 80


class RecordLike(Protocol):
    """What a run diagram reads of a record: `TransitionRecord` or `RawRecord`."""

    job: str
    component: str
    kind: Kind
    event: str
    source: Phase
    dest: Phase
    detail: str
    noop: bool


@dataclass
class _Taken:
    """One (event, source, dest) edge and who took it."""

    event: str
    source: Phase
    dest: Phase
    takers: list[str] = field(default_factory=list)
    detail: str = ""

    @property
    def failure(self) -> bool:
        return Row(self.event, self.source, self.dest).failure


@dataclass
class _Group:
    """The records of one kind of component of one job, aggregated."""

    job: str
    kind: Kind
    first: dict[str, Phase] = field(default_factory=dict)
    last: dict[str, Phase] = field(default_factory=dict)
    taken: dict[tuple[str, Phase, Phase], _Taken] = field(default_factory=dict)

    def add(self, record: RecordLike) -> None:
        self.first.setdefault(record.component, record.source)
        self.last[record.component] = record.dest
        key = (record.event, record.source, record.dest)
        taken = self.taken.setdefault(key, _Taken(*key))
        taken.takers.append(record.component)
        taken.detail = taken.detail or record.detail


def run_graph(records: Iterable[RecordLike], title: str | None = None) -> Graph:
    """The diagram of the path the components of a run took.

    Args:
        records: history records, oldest first, as `job.history` or
            `lifecycle.load_jsonl` give them.
        title: the diagram's title; by default "run of job NAME".
    """
    groups: dict[tuple[str, Kind], _Group] = {}
    for record in records:
        if not record.noop:
            key = (record.job, record.kind)
            groups.setdefault(key, _Group(*key)).add(record)
    jobs = list(dict.fromkeys(job for job, _ in groups))
    ordered = sorted(groups.values(), key=lambda g: (jobs.index(g.job), _rank(g.kind)))
    many_jobs = len(jobs) > 1
    clusters = [
        _cluster(group, f"j{jobs.index(group.job) + 1}" if many_jobs else "")
        for group in ordered
    ]
    default_title = f"run of job{'s' if many_jobs else ''} {', '.join(jobs)}"
    if not jobs:
        default_title = "run with no records"
    return Graph("run", title or default_title, clusters)


def _rank(kind: Kind) -> int:
    return list(KIND_ORDER).index(kind)


def _cluster(group: _Group, job_number: str) -> Cluster:
    """The box of one group; `job_number` prefixes its ids when jobs are mixed."""
    prefix = node_id(job_number, KIND_ORDER[group.kind])
    members = list(group.first)
    cluster = Cluster(prefix, _title(group, members, bool(job_number)))
    visited = set(group.first.values()) | {
        phase for taken in group.taken.values() for phase in (taken.source, taken.dest)
    }
    for phase in Phase:
        if phase in visited:
            cluster.nodes.append(_phase_node(prefix, phase, group, len(members)))
    edges = []
    if Phase.CREATED in group.first.values():
        start = node_id(prefix, "start")
        cluster.nodes.insert(0, Node(start, (), NodeStyle.START))
        edges.append(Edge(start, node_id(prefix, Phase.CREATED.name)))
    edges += [
        _edge(prefix, group.kind, taken, len(members)) for taken in group.taken.values()
    ]
    cluster.edges = merge_parallel(edges)
    return cluster


def _title(group: _Group, members: list[str], many_jobs: bool) -> str:
    job = f"job {group.job}: " if many_jobs else ""
    if group.kind is Kind.DISPATCHER:
        return f"{job}dispatcher"
    word = KIND_ORDER[group.kind]
    if len(members) == 1:
        word = word.removesuffix("s")
    return f"{job}{len(members)} {word}: {names(members)}"


def _phase_node(prefix: str, phase: Phase, group: _Group, size: int) -> Node:
    """A phase's node; filled, and counted, where components ended."""
    ended = sum(1 for last in group.last.values() if last is phase)
    lines: tuple[str, ...] = (phase.name,)
    if ended and size > 1:
        lines += (f"{ended} ended here" if phase.terminal else f"{ended} still here",)
    style = NodeStyle.PHASE
    if ended:
        style = phase_style(phase) if phase.terminal else NodeStyle.CURRENT
    return Node(node_id(prefix, phase.name), lines, style)


def _edge(prefix: str, kind: Kind, taken: _Taken, size: int) -> Edge:
    """An edge taken: its row and count, and for failures who and why.

    A component's edge shows its row's guard, which tells apart the two
    `clean` rows; the dispatcher's shows the reason the kernel recorded
    instead, which says which part of its guard held.
    """
    row = _ROWS[kind].get((taken.event, taken.source, taken.dest))
    text = taken.event
    if row is not None and kind is not Kind.DISPATCHER:
        text = edge_text(row)
    lines = [f"{text} {TIMES}{len(taken.takers)}" if size > 1 else text]
    if taken.failure and size > 1:
        lines.append(names(list(dict.fromkeys(taken.takers))))
    if taken.detail and (taken.failure or size == 1):
        lines.append(shorten(taken.detail))
    source = node_id(prefix, taken.source.name)
    return Edge(source, node_id(prefix, taken.dest.name), tuple(lines), taken.failure)


def names(members: list[str]) -> str:
    """Component names for a label: parallel instances joined, long lists cut.

    `map[0]`, `map[1]`, `map[2]` read as `map[0..2]` (and `map[0]`, `map[2]`
    as `map[0,2]`); past `NAMES_SHOWN` entries the rest are counted
    ("+7 more").
    """
    entries: dict[str, list[int]] = {}
    for member in members:
        base, index = _instance(member)
        if index is None:
            entries.setdefault(member, [])
        else:
            entries.setdefault(base, []).append(index)
    shown = [base + _indices(indices) for base, indices in entries.items()]
    more = len(shown) - NAMES_SHOWN
    if more > 0:
        shown = [*shown[:NAMES_SHOWN], f"+{more} more"]
    return ", ".join(shown)


def _indices(indices: list[int]) -> str:
    if not indices:
        return ""
    low, high = min(indices), max(indices)
    if len(indices) > 2 and sorted(indices) == list(range(low, high + 1)):
        return f"[{low}..{high}]"
    return "[" + ",".join(map(str, sorted(indices))) + "]"


def _instance(name: str) -> tuple[str, int | None]:
    """`("map", 2)` for a parallel instance `map[2]`; `(name, None)` otherwise."""
    base, bracket, rest = name.rpartition("[")
    if bracket and rest.endswith("]") and rest[:-1].isdigit():
        return base, int(rest[:-1])
    return name, None


def shorten(text: str, width: int = DETAIL_SHOWN) -> str:
    """`text` on one line, cut to `width` characters with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
