"""Diagrams of the lifecycle machines, and of what one job's components did.

The machine diagrams are generated from the tables in `lifecycle.phases`, the
same tables the runtime executes, so they cannot drift from the code. They are
drawn from the tables directly, never from the runtime's `transitions`
machines (see docs/diagrams.md for why not transitions' `GraphMachine`).

    machine_diagram(Kind.TASK)             # Mermaid text of the task machine
    machine_diagram(Kind.TASK, "dot")      # the same, as Graphviz DOT text
    run_diagram(job.history)               # Mermaid text of one run
    write_diagrams("diagrams", ["mermaid", "dot", "svg"])

Mermaid and DOT are plain text; SVG and PNG are drawn by Graphviz's `dot`
program, which must be installed (`GraphvizMissing` otherwise).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from lifecycle.diagrams.dot import (
    IMAGE_FORMATS,
    GraphvizMissing,
    dot_program,
    render,
    to_dot,
)
from lifecycle.diagrams.graph import Graph, machine_graph
from lifecycle.diagrams.mermaid import to_mermaid
from lifecycle.diagrams.runs import RecordLike, run_graph
from lifecycle.phases import Kind

#: Formats `write_diagrams` takes, and the file suffix of each.
SUFFIXES = {"mermaid": ".mmd", "dot": ".dot", "svg": ".svg", "png": ".png"}
FORMATS = tuple(SUFFIXES)
TEXT_FORMATS = ("mermaid", "dot")

#: The machines drawn, in the order they are written.
MACHINES = (Kind.TASK, Kind.SERVICE, Kind.DISPATCHER)

__all__ = [
    "FORMATS",
    "MACHINES",
    "SUFFIXES",
    "GraphvizMissing",
    "machine_diagram",
    "run_diagram",
    "write_diagrams",
]


def _text(graph: Graph, text_format: str) -> str:
    if text_format == "mermaid":
        return to_mermaid(graph)
    if text_format == "dot":
        return to_dot(graph)
    raise ValueError(
        f"unknown text format {text_format!r}; use one of {TEXT_FORMATS} "
        "(write_diagrams also draws svg and png)"
    )


def machine_diagram(kind: Kind, text_format: str = "mermaid") -> str:
    """The diagram of the task, service or dispatcher machine.

    Args:
        kind: which machine.
        text_format: "mermaid" (the default) or "dot".
    """
    return _text(machine_graph(kind), text_format)


def run_diagram(
    records: Iterable[RecordLike],
    *,
    title: str | None = None,
    text_format: str = "mermaid",
) -> str:
    """The diagram of the path a run's components took, from its history.

    Args:
        records: history records, oldest first: `job.history`, the records
            `lifecycle.load_jsonl` reads back, or the kernel's raw tuples.
        title: the diagram's title; by default "run of job NAME".
        text_format: "mermaid" (the default) or "dot"; draw an image from the
            DOT text with `lifecycle.diagrams.dot.render`.

    What is drawn, and why, is described in `lifecycle.diagrams.runs`.
    """
    return _text(run_graph(records, title), text_format)


def write_diagrams(
    out: str | Path, formats: Sequence[str] = ("mermaid",)
) -> list[Path]:
    """Write the three machine diagrams in each format into directory `out`.

    Files are named after the machine: `task.mmd`, `service.dot`,
    `dispatcher.svg`, ... The directory is created if needed.

    Returns:
        The paths written, in order.

    Raises:
        ValueError: an unknown format.
        GraphvizMissing: SVG or PNG was asked for and `dot` is not installed;
            nothing was written.
    """
    unknown = [name for name in formats if name not in SUFFIXES]
    if unknown:
        raise ValueError(f"unknown diagram format {unknown[0]!r}; use one of {FORMATS}")
    if any(name in IMAGE_FORMATS for name in formats):
        dot_program()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for diagram_format in dict.fromkeys(formats):
        for kind in MACHINES:
            path = out / f"{kind.value}{SUFFIXES[diagram_format]}"
            if diagram_format in IMAGE_FORMATS:
                path.write_bytes(render(machine_diagram(kind, "dot"), diagram_format))
            else:
                path.write_text(machine_diagram(kind, diagram_format), encoding="utf-8")
            written.append(path)
    return written
