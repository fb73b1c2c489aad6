"""The benchmark runner's quick mode produces every figure (values unchecked)."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

from benchmarks import kernel_cost, scale, teardown, throughput, wait_latency
from benchmarks.common import Row

ROOT = Path(__file__).resolve().parents[1]


def figures(rows: list[Row]) -> list[tuple[str, float]]:
    """Each row's measure and value, after checking the row is complete."""
    for row in rows:
        assert math.isfinite(row.value) and row.value >= 0, row
        if row.baseline is not None:
            assert math.isfinite(row.baseline) and row.baseline_label, row
        if row.goal:
            assert row.verdict and row.met in (True, False), row
    return [(row.measure, row.value) for row in rows]


def test_wait_latency_gives_median_and_p99_against_both_polling_loops() -> None:
    """Quick mode measures lifecycle's latency and each polling baseline."""
    rows = wait_latency.run(quick=True, jobs=5)
    figures(rows)
    assert [row.measure for row in rows] == ["median over 5 jobs"] * 2 + [
        "p99 over 5 jobs"
    ] * 2
    assert {row.baseline_label for row in rows} == {
        "sleep(0.1) polling loop",
        "sleep(1) polling loop",
    }


def test_kernel_cost_compares_the_kernel_with_bare_transitions() -> None:
    """Quick mode gives transitions a second on both sides and their ratio."""
    (row,) = kernel_cost.run(quick=True)
    figures([row])
    assert row.ratio is not None and row.ratio > 0


def test_the_recorded_events_take_a_job_from_submit_to_cleaned() -> None:
    """The kernel-cost events replay to CLEANED on a fresh kernel, every time."""
    spec = kernel_cost.job(tasks=5, services=3)
    events = kernel_cost.record_events(spec)
    for _ in range(2):
        _, kernel = kernel_cost.drive_kernel(spec, events)
        assert kernel.state.name == "CLEANED"


def test_scale_gives_times_linearity_and_memory() -> None:
    """Quick mode times three task jobs and a service job, and memory per kind."""
    rows = scale.run(quick=True)
    measures = [measure for measure, _ in figures(rows)]
    assert sum("tasks (CPU" in measure for measure in measures) == 3
    assert sum("services (CPU" in measure for measure in measures) == 1
    assert sum("memory per component" in measure for measure in measures) == 2
    assert any(row.goal for row in rows)


def test_throughput_compares_both_parallelisms_with_hand_written_threads() -> None:
    """Quick mode gives items a second at parallelism 1 and 4 on both sides."""
    rows = throughput.run(quick=True)
    figures(rows)
    assert [row.measure for row in rows] == [
        "items/s, 2,000 items, parallelism 1",
        "items/s, 2,000 items, parallelism 4",
    ]


def test_teardown_compares_parallel_cleanup_with_a_serial_one() -> None:
    """Quick mode times a parallel teardown and the serial baseline."""
    (row,) = teardown.run(quick=True)
    figures([row])
    assert row.baseline is not None and row.baseline > 0


def run_runner(*options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", *options],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_runner_prints_the_table_and_writes_the_document(tmp_path: Path) -> None:
    """`python -m benchmarks --quick --case ... --doc ...` prints and writes it."""
    document = tmp_path / "performance.md"
    done = run_runner("--case", "teardown", "--doc", str(document))
    assert done.returncode == 0, done.stderr
    assert "parallel teardown" in done.stdout
    text = document.read_text()
    for heading in ("## Machine", "## Results", "## Goals", "## Method"):
        assert heading in text
    assert "| parallel teardown |" in text


def test_the_runner_refuses_a_job_count_below_one() -> None:
    """`--jobs 0` is refused with a message, before anything runs."""
    done = run_runner("--jobs", "0")
    assert done.returncode == 2
    assert "--jobs must be at least 1" in done.stderr
