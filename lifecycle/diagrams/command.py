"""`lifecycle diagrams`: write the machine diagrams, generated from the tables.

    lifecycle diagrams                          # diagrams/{task,service,dispatcher}.mmd
    lifecycle diagrams --format dot --out DIR   # DIR/task.dot, ...
    lifecycle diagrams --format mermaid --format svg

SVG and PNG are drawn by Graphviz's `dot`; where it is missing the command
says which package to install and exits with status 1, writing nothing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lifecycle.diagrams import FORMATS, SUFFIXES, write_diagrams
from lifecycle.errors import LifecycleError

DEFAULT_OUT = Path("diagrams")


def add_parser(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the `diagrams` subcommand to the `lifecycle` command."""
    parser = commands.add_parser(
        "diagrams",
        help="write the task, service and dispatcher diagrams",
        description=(
            "Write one diagram per machine (task, service, dispatcher), "
            "generated from the tables the runtime executes, guards shown on "
            "their edges. Files: task, service and dispatcher, with suffix "
            + ", ".join(f"{suffix} ({name})" for name, suffix in SUFFIXES.items())
            + ". SVG and PNG need Graphviz's dot program."
        ),
    )
    parser.add_argument(
        "--format",
        dest="formats",
        action="append",
        choices=FORMATS,
        help="format to write; repeat for several (default: mermaid)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help=f"directory to write into, created if needed (default: {DEFAULT_OUT}/)",
    )
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Write the diagrams; print each path written. Return the exit status."""
    try:
        written = write_diagrams(args.out, args.formats or ["mermaid"])
    except (LifecycleError, OSError) as error:
        print(f"lifecycle diagrams: {error}", file=sys.stderr)
        return 1
    for path in written:
        print(path)
    return 0
