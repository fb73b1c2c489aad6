"""The demo's summary: what was answered, how well, and each phase's time.

The phase table has one row per component (the dispatcher first, then the
services, then the tasks) and one column per phase, in milliseconds; a blank
cell is a phase the component never left or never entered.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from lifecycle.phases import Phase

#: Phases timed from their entry to the next one's. CREATED is left out: it is
#: where every component begins, not entered by a transition.
TIMED_PHASES = (
    Phase.STARTING,
    Phase.RUNNING,
    Phase.STOPPING,
    Phase.STOPPED,
    Phase.CLEANING,
)


def hit_rate(answers: Iterable[Mapping[str, Any]], field: str = "hit") -> float:
    """The share of answers whose `field` is true; 0.0 when there are none."""
    answers = list(answers)
    if not answers:
        return 0.0
    return sum(bool(answer[field]) for answer in answers) / len(answers)


def phase_table(rows: Iterable[tuple[str, Phase, Mapping[Phase, float]]]) -> str:
    """A text table of `(name, final phase, seconds by phase)` rows, in ms."""
    rows = list(rows)
    width = max([len("component"), *(len(name) for name, _, _ in rows)])
    header = [f"{'component':<{width}}", f"{'final':<8}"]
    header += [f"{phase.name.lower():>9}" for phase in TIMED_PHASES]
    lines = ["  ".join(header).rstrip()]
    for name, final, times in rows:
        cells = [f"{name:<{width}}", f"{final.name:<8}"]
        cells += [_milliseconds(times.get(phase)) for phase in TIMED_PHASES]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def _milliseconds(seconds: float | None) -> str:
    if seconds is None:
        return " " * 9
    return f"{seconds * 1000:>9.1f}"
