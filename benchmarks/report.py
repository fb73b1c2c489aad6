"""The results table, on the terminal and in `docs/performance.md`."""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from types import ModuleType

from benchmarks.common import Row

FINDINGS = Path(__file__).with_name("findings.md")
PACKAGES = ("lifecycle", "transitions", "pydantic", "structlog")


@dataclass
class Machine:
    """Where and when the figures were measured."""

    cores: int
    processor: str
    python: str
    system: str
    packages: dict[str, str]
    commit: str
    date: str
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]
    took: float
    quick: bool

    def lines(self) -> list[str]:
        versions = ", ".join(
            f"{name} {version}" for name, version in self.packages.items()
        )
        return [
            f"- cores: {self.cores} ({self.processor})",
            f"- Python: {self.python}; {self.system}",
            f"- packages: {versions}",
            f"- commit: {self.commit}; measured {self.date}",
            f"- load average (1, 5, 15 min): {_load(self.load_before)} before, "
            f"{_load(self.load_after)} after",
            f"- the run took {self.took:.0f} s"
            + (" (quick mode: tiny sizes, goals not judged)" if self.quick else ""),
        ]


def machine(
    load_before: tuple[float, float, float],
    load_after: tuple[float, float, float],
    took: float,
    *,
    quick: bool,
) -> Machine:
    """Describe this machine, the installed packages and the checkout."""
    return Machine(
        cores=os.cpu_count() or 0,
        processor=_processor(),
        python=f"{platform.python_implementation()} {platform.python_version()}",
        system=platform.platform(),
        packages={name: _version(name) for name in PACKAGES},
        commit=_commit(),
        date=datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        load_before=load_before,
        load_after=load_after,
        took=took,
        quick=quick,
    )


def _load(load: tuple[float, float, float]) -> str:
    return " / ".join(f"{value:.2f}" for value in load)


def _processor() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown processor"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _commit() -> str:
    try:
        done = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            timeout=10,
            cwd=Path(__file__).parent,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return done.stdout.strip() or "unknown"


# -- The table ------------------------------------------------------------------

HEADER = ("case", "measure", "lifecycle", "baseline", "ratio", "goal", "met")


def cells(row: Row) -> tuple[str, ...]:
    """One row of the table as text."""
    baseline = (
        f"{figure(row.baseline, row.unit)} ({row.baseline_label})"
        if row.baseline is not None
        else ""
    )
    ratio = f"{_ratio(row.ratio)} ({row.ratio_label})" if row.ratio is not None else ""
    met = {True: "yes", False: "NO", None: ""}[row.met]
    return (
        row.case,
        row.measure,
        figure(row.value, row.unit),
        baseline,
        ratio,
        row.goal,
        met,
    )


def _ratio(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def figure(value: float, unit: str) -> str:
    """A value with its unit, to a sensible precision."""
    if unit == "/s":
        return f"{value:,.0f}/s"
    if unit == "ms":
        return f"{value:.3g} ms" if value < 100 else f"{value:,.0f} ms"
    if unit == "s":
        return f"{value:.3f} s"
    return f"{value:.1f} {unit}"


def markdown_table(rows: Iterable[Row]) -> list[str]:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + " --- |" * len(HEADER)]
    lines += ["| " + " | ".join(cells(row)) + " |" for row in rows]
    return lines


def print_table(rows: list[Row], about: Machine) -> None:
    """Print the table, one row a line, then the machine."""
    table = [HEADER, *(cells(row) for row in rows)]
    widths = [max(len(line[column]) for line in table) for column in range(len(HEADER))]
    for line in table:
        print(
            "  ".join(
                cell.ljust(width) for cell, width in zip(line, widths, strict=True)
            )
        )
    print()
    print("\n".join(about.lines()))


# -- The document ---------------------------------------------------------------


def write_document(
    path: Path, rows: list[Row], about: Machine, cases: list[ModuleType]
) -> None:
    """Write the whole document: how to run, machine, table, goals, method."""
    lines = [
        "# Performance",
        "",
        "Figures measured by `python -m benchmarks`, which runs each case of",
        "issue 6 against its baseline in the same process and writes this file",
        "(edit `benchmarks/`, not this file). `python -m benchmarks --quick`",
        "runs every case at tiny sizes in seconds and judges nothing; CI runs it",
        "so that the runner cannot rot. `--case NAME` runs one case, and",
        "`--jobs N` sets how many jobs the wait-latency case measures.",
        "",
        "## Machine",
        "",
        *about.lines(),
        "",
        "The machine is shared: other processes ran while these figures were",
        "taken (see the load average). Absolute times drift with the load; the",
        "ratios, measured side by side in one process, drift much less.",
        "",
        "## Results",
        "",
        *markdown_table(rows),
        "",
        "## Goals",
        "",
        *goal_lines(rows),
        "",
        "## Method",
        "",
    ]
    for case in cases:
        lines += method(case)
    lines += ["## Findings", "", FINDINGS.read_text().strip(), ""]
    path.write_text("\n".join(lines))


def goal_lines(rows: Iterable[Row]) -> list[str]:
    found = []
    for row in rows:
        if row.goal:
            met = {True: "met", False: "**not met**", None: "not judged"}[row.met]
            found.append(f"- {row.case}: {met}. {row.verdict}.")
    return found


def method(case: ModuleType) -> list[str]:
    """The case's module docstring: its first line as a heading, then the rest.

    The docstring's own section heading (a line underlined with dashes) is
    left out.
    """
    doc = (case.__doc__ or "").strip().splitlines()
    title, body = doc[0].rstrip("."), doc[1:]
    kept = [
        line
        for index, line in enumerate(body)
        if not _underline(line) and not _underline(_at(body, index + 1))
    ]
    return [f"### {title}", "", "\n".join(kept).strip(), ""]


def _underline(line: str) -> bool:
    return bool(line) and set(line) == {"-"}


def _at(lines: list[str], index: int) -> str:
    return lines[index] if index < len(lines) else ""
