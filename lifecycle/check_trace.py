"""`lifecycle check-trace FILE`: check a saved history against the rules.

A trace is a job's history saved as JSON Lines (`save_jsonl(job.history,
path)`), one `TransitionRecord` a line. The command reads it, reports the
first line that cannot be read as a record, or the first record that breaks
a rule (`lifecycle.trace`), each on one line with its line number.

A trace must record a whole job: one whose dispatcher does not end CLEANED or
FAILED ends before the job did (a file cut at a line boundary, or a history
saved while the job ran). `--partial` accepts such a trace, checking the
records it has.

With `--diagram FILE` it also writes the Mermaid diagram of the run the trace
records, the same as `job.diagram()` draws.

Exit codes:
    0: every record is legal (and, without `--partial`, the job ended).
    1: a record breaks a rule (an illegal step), or the trace ends before
       the job did and `--partial` was not given.
    2: the file cannot be read as a trace (missing, empty, not JSON, not a
       record, unknown phase or kind, seq out of order, truncated), or the
       arguments are wrong, or the diagram cannot be written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pydantic import ValidationError

from lifecycle.diagrams import run_diagram
from lifecycle.history import TransitionRecord
from lifecycle.phases import Phase
from lifecycle.trace import HistoryViolation, TraceChecker

EXIT_LEGAL = 0
EXIT_ILLEGAL = 1
#: A trace whose dispatcher is not terminal, without `--partial`.
EXIT_INCOMPLETE = EXIT_ILLEGAL
EXIT_UNREADABLE = 2


class TraceError(Exception):
    """A trace file that cannot be read; the message names the line."""

    def __init__(self, path: str | Path, line: int, problem: str) -> None:
        self.path = str(path)
        self.line = line
        self.problem = problem
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {problem}")


def read_trace(path: str | Path) -> list[tuple[int, TransitionRecord]]:
    """Read a trace; return its records with their line numbers.

    Raises:
        TraceError: for the first line that is not a record, records out of
            `seq` order, an empty file, or a file that cannot be opened.
    """
    text = _read_text(path)
    records: list[tuple[int, TransitionRecord]] = []
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        last = number == len(lines) and not text.endswith("\n")
        record = _parse(path, number, line, last)
        if records and record.seq <= records[-1][1].seq:
            raise TraceError(
                path,
                number,
                f"seq {record.seq} comes after seq "
                f"{records[-1][1].seq}; records must be in increasing seq order",
            )
        records.append((number, record))
    if not records:
        raise TraceError(
            path,
            0,
            "the file is empty; a trace has one transition "
            "record per line (see lifecycle.save_jsonl)",
        )
    return records


def _read_text(path: str | Path) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TraceError(path, 0, "no such file") from None
    except IsADirectoryError:
        raise TraceError(path, 0, "is a directory, not a trace file") from None
    except UnicodeDecodeError as error:
        raise TraceError(
            path, 0, f"not UTF-8 text ({error.reason} at byte {error.start})"
        ) from None
    except OSError as error:
        raise TraceError(path, 0, f"cannot be read: {error.strerror}") from None


def _parse(path: str | Path, number: int, line: str, last: bool) -> TransitionRecord:
    try:
        return TransitionRecord.model_validate_json(line)
    except ValidationError as error:
        raise TraceError(path, number, _problem(error, last)) from None


def _problem(error: ValidationError, last: bool) -> str:
    """One sentence saying what is wrong with a line."""
    first = error.errors()[0]
    kind, field = first["type"], ".".join(str(p) for p in first["loc"])
    if kind == "json_invalid":
        if last and "EOF" in first["msg"]:
            return "the last line is cut short: the file looks truncated"
        return f"not JSON: {first['msg'].removeprefix('Invalid JSON: ')}"
    if kind == "enum":
        expected = first.get("ctx", {}).get("expected", "")
        return f"unknown {field} {first['input']!r}; expected {expected}"
    if kind == "missing":
        return f"not a transition record: the field {field!r} is missing"
    if kind == "extra_forbidden":
        return f"not a transition record: unknown field {field!r}"
    if kind == "model_type":
        return "not a transition record: expected a JSON object"
    return f"field {field!r}: {first['msg']} (got {first.get('input')!r})"


def check_trace(
    path: str | Path,
    depends_on: dict[str, tuple[str, ...]],
    diagram: str | Path | None = None,
    *,
    partial: bool = False,
) -> str:
    """Check the trace at `path`; return a one-line summary of it.

    Args:
        path: the trace file.
        depends_on: each service's dependencies, to check the stop order.
        diagram: where to write the Mermaid diagram of the run the trace
            records; written before the check, so an illegal trace is drawn
            too.
        partial: accept a trace whose dispatcher is not terminal.

    Raises:
        TraceError: the file cannot be read as a trace.
        TraceViolation: a record breaks a rule; the message names its line.
        TraceIncomplete: the dispatcher is not terminal and `partial` is
            false; the message names the last line.
        OSError: the diagram cannot be written.
    """
    records = read_trace(path)
    if diagram is not None:
        drawn = run_diagram(record for _, record in records)
        Path(diagram).write_text(drawn, encoding="utf-8")
    checker = TraceChecker(depends_on)
    for number, record in records:
        try:
            checker.feed(record)
        except HistoryViolation as error:
            raise TraceViolation(path, number, error) from None
    last = checker.dispatcher
    if not last.terminal and not partial:
        raise TraceIncomplete(path, records[-1][0], last)
    early = "" if last.terminal else " (not terminal: the trace stops early)"
    return (
        f"{path}: {len(records)} records of job {checker.job!r}, all legal; "
        f"the dispatcher ends {last.name}{early}"
    )


class TraceViolation(Exception):
    """A record of a trace file breaks a rule."""

    def __init__(self, path: str | Path, line: int, error: HistoryViolation) -> None:
        self.line = line
        self.error = error
        super().__init__(f"{path}:{line}: illegal step: {error}")


class TraceIncomplete(Exception):
    """A trace whose dispatcher is not terminal: it ends before the job did."""

    def __init__(self, path: str | Path, line: int, phase: Phase) -> None:
        self.line = line
        self.phase = phase
        super().__init__(
            f"{path}:{line}: the trace ends before the job did: the dispatcher's "
            f"last phase is {phase.name}, not CLEANED or FAILED (a truncated "
            f"file, or a history saved while the job ran); pass --partial to "
            f"check a trace that stops early."
        )


# -- The command ---------------------------------------------------------------


def add_parser(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add `check-trace` to the `lifecycle` command."""
    parser = commands.add_parser(
        "check-trace",
        help="check a saved job history (JSON Lines) against the rules",
        description=__doc__.split("\n\n")[1],
        epilog="Exit codes: 0 legal, 1 illegal step or a trace that ends before "
        "the job did, 2 unreadable trace.",
    )
    parser.add_argument("file", help="a trace written by lifecycle.save_jsonl")
    parser.add_argument(
        "--depends-on",
        action="append",
        default=[],
        metavar="SERVICE=NEEDED[,NEEDED]",
        help="a service's depends_on, to check the stop order (repeatable)",
    )
    parser.add_argument(
        "--diagram",
        metavar="FILE",
        help="also write the Mermaid diagram of the recorded run to FILE "
        "(see docs/diagrams.md), even when a step is illegal",
    )
    parser.add_argument(
        "--partial",
        action="store_true",
        help="accept a trace that stops before the job ended (a history "
        "saved while the job ran); by default it is an error, exit 1",
    )
    parser.set_defaults(run=run)
    return parser


def _depends_on(values: list[str]) -> dict[str, tuple[str, ...]]:
    found: dict[str, tuple[str, ...]] = {}
    for value in values:
        service, sep, needed = value.partition("=")
        if not sep or not service:
            raise ValueError(f"--depends-on {value!r}: write SERVICE=NEEDED[,NEEDED]")
        found[service] = tuple(name for name in needed.split(",") if name)
    return found


#: The exit code of each error the check reports; any other is EXIT_UNREADABLE.
_EXIT_CODES = {TraceViolation: EXIT_ILLEGAL, TraceIncomplete: EXIT_INCOMPLETE}


def run(args: argparse.Namespace) -> int:
    """Check the trace named by `args.file`; print one line; return the exit code."""
    try:
        depends_on = _depends_on(args.depends_on)
        print(check_trace(args.file, depends_on, args.diagram, partial=args.partial))
    except OSError as error:
        print(
            f"lifecycle check-trace: cannot write the diagram: {error}", file=sys.stderr
        )
        return EXIT_UNREADABLE
    except (ValueError, TraceError, TraceViolation, TraceIncomplete) as error:
        print(f"lifecycle check-trace: {error}", file=sys.stderr)
        return _EXIT_CODES.get(type(error), EXIT_UNREADABLE)
    return EXIT_LEGAL
