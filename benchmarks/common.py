"""What every case returns, and the timing helpers the cases share."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass
class Row:
    """One line of the results table: a figure, its baseline and the goal.

    Attributes:
        case: the case's name, as in issue 6's table.
        measure: what `value` measures.
        value: lifecycle's figure.
        unit: the unit of `value` and `baseline`.
        baseline: the baseline's figure, measured in the same run, or None.
        baseline_label: what the baseline is.
        ratio: the figure the goal is about (None when the goal is absolute).
        ratio_label: what `ratio` divides by what.
        goal: the goal, as text.
        met: whether the goal is met; None for rows that carry no goal.
        verdict: the measured figure set against the goal, as text.
    """

    case: str
    measure: str
    value: float
    unit: str
    baseline: float | None = None
    baseline_label: str = ""
    ratio: float | None = None
    ratio_label: str = ""
    goal: str = ""
    met: bool | None = None
    verdict: str = ""


def best_of(repeats: int, *sides: Callable[[], float]) -> list[float]:
    """Run each side `repeats` times, interleaved; return each side's minimum.

    Interleaving puts both sides under the same load when the machine is
    shared; the minimum is the run least disturbed by other processes.
    """
    found: list[list[float]] = [[] for _ in sides]
    for _ in range(repeats):
        for times, side in zip(found, sides, strict=True):
            times.append(side())
    return [min(times) for times in found]


def percentile(values: Sequence[float], fraction: float) -> float:
    """The `fraction` quantile of `values` (nearest rank)."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered)) - 1))
    return ordered[rank]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)
