"""Scale: submit to CLEANED for jobs of many task instances, or many services.

What is measured
----------------
A task job is `source -> map(parallelism=N - 2) -> sink`: N task instances,
each on a thread of its own, each started, set up, drained at the end of
input, stopped and cleaned. Every job, whatever its size, runs the same batch
of 100 items, so the data work stays the same and what grows with N is the
cost of N lifecycles. A service job registers N independent services and
runs `source -> sink` over the same 100 items. The time is the wall time of
`env.submit(autostop=True)`, which returns once the job is CLEANED, best of
five runs (the sizes alternate, so all see the same load); the process CPU
time of that run is shown beside it.

The issue's baseline is the 1,000-task job of the same run: the 10,000-task
job should take at most 12 times as long (linear, with a margin), and under
5 s. As a reference, each task job is also run hand-written
(`benchmarks/handwritten.py`: the same graph on plain threads and
`queue.Queue`, with no lifecycle at all), which shows the part of the time
that threads themselves cost on this machine.

Memory per component is the peak of Python allocations (tracemalloc) from
submit to CLEANED, less what was allocated before submit, divided by the
number of components, in a separate run (tracemalloc slows everything down).
It counts the kernel, the history, the runtime's objects and the
`threading.Thread` objects, not the threads' stacks, which the operating
system maps outside Python's allocator.
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable

from benchmarks.common import Row
from benchmarks.handwritten import run_graph
from lifecycle import LocalEnvironment

#: The batch every job runs, whatever its number of tasks.
ITEMS = 100


def _same(item: int) -> int:
    return item


def _drop(item: int) -> None:
    return None


class _Idle:
    """A service with nothing to set up or clean."""


def build_tasks(tasks: int) -> Callable[[LocalEnvironment], None]:
    """A builder of the job of `tasks` task instances."""

    def build(env: LocalEnvironment) -> None:
        env.from_batch(range(ITEMS)).map(_same, parallelism=tasks - 2).sink(_drop)

    return build


def build_services(services: int) -> Callable[[LocalEnvironment], None]:
    """A builder of the job of `services` services and two tasks."""

    def build(env: LocalEnvironment) -> None:
        for index in range(services):
            env.register_service(f"service-{index}", _Idle)
        env.from_batch(range(ITEMS)).sink(_drop)

    return build


def timed_job(build: Callable[[LocalEnvironment], None]) -> tuple[float, float]:
    """Wall and CPU seconds of one job from submit to CLEANED."""
    with LocalEnvironment("scale") as env:
        build(env)
        wall, cpu = time.perf_counter(), time.process_time()
        env.submit(autostop=True)
        return time.perf_counter() - wall, time.process_time() - cpu


def best(
    build: Callable[[LocalEnvironment], None], repeats: int
) -> tuple[float, float]:
    """The run with the least wall time, of `repeats`."""
    return min((timed_job(build) for _ in range(repeats)), key=lambda run: run[0])


def handwritten(tasks: int) -> float:
    """Wall time of the same task graph on plain threads."""
    return run_graph(range(ITEMS), [(_same, tasks - 2), (_drop, 1)])


def alternated(
    sizes: tuple[int, ...], repeats: int
) -> tuple[dict[int, tuple[float, float]], dict[int, float]]:
    """Best times of lifecycle and hand-written for each size, sizes alternating.

    Taking every size in turn, `repeats` times over, spreads a passing load
    over all of them instead of one, which keeps their ratios steadier.
    """
    ours: dict[int, list[tuple[float, float]]] = {size: [] for size in sizes}
    theirs: dict[int, list[float]] = {size: [] for size in sizes}
    for _ in range(repeats):
        for size in sizes:
            ours[size].append(timed_job(build_tasks(size)))
            theirs[size].append(handwritten(size))
    return (
        {size: min(runs, key=lambda run: run[0]) for size, runs in ours.items()},
        {size: min(runs) for size, runs in theirs.items()},
    )


def memory_per_component(
    build: Callable[[LocalEnvironment], None], count: int
) -> float:
    """Peak bytes of Python allocations per component from submit to CLEANED."""
    with LocalEnvironment("scale-memory") as env:
        build(env)
        tracemalloc.start()
        try:
            before, _ = tracemalloc.get_traced_memory()
            tracemalloc.reset_peak()
            env.submit(autostop=True)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    return (peak - before) / count


def run(quick: bool) -> list[Row]:
    """Times for each size, the linearity ratio and memory per component."""
    sizes = (10, 100, 300) if quick else (100, 1_000, 10_000)
    services = 50 if quick else 1_000
    repeats = 1 if quick else 5
    ours, theirs = alternated(sizes, repeats)
    rows = [_tasks_row(size, ours[size], theirs[size]) for size in sizes]
    rows.append(_linearity_row(sizes[1], sizes[2], ours, theirs))

    wall, cpu = best(build_services(services), repeats)
    rows.append(
        Row(
            case="scale",
            measure=f"submit to CLEANED, {services:,} services (CPU {cpu:.2f} s)",
            value=wall,
            unit="s",
            baseline=ours[sizes[1]][0],
            baseline_label=f"{sizes[1]:,} tasks",
            ratio=wall / ours[sizes[1]][0],
            ratio_label=f"time / time of {sizes[1]:,} tasks",
        )
    )
    for what, build, count in (
        ("tasks", build_tasks(sizes[1]), sizes[1]),
        ("services", build_services(services), services + 2),
    ):
        rows.append(
            Row(
                case="scale",
                measure=f"memory per component, {count:,}-{what} job (tracemalloc)",
                value=memory_per_component(build, count) / 1024,
                unit="KiB",
            )
        )
    return rows


def _tasks_row(size: int, ours: tuple[float, float], theirs: float) -> Row:
    wall, cpu = ours
    return Row(
        case="scale",
        measure=f"submit to CLEANED, {size:,} tasks (CPU {cpu:.2f} s)",
        value=wall,
        unit="s",
        baseline=theirs,
        baseline_label="hand-written threads",
        ratio=wall / theirs,
        ratio_label="lifecycle / hand-written",
    )


def _linearity_row(
    middle: int,
    large: int,
    ours: dict[int, tuple[float, float]],
    theirs: dict[int, float],
) -> Row:
    linear = ours[large][0] / ours[middle][0]
    seconds = ours[large][0]
    return Row(
        case="scale",
        measure=f"time of {large:,} tasks / time of {middle:,} tasks",
        value=linear,
        unit="x",
        baseline=theirs[large] / theirs[middle],
        baseline_label="the same for hand-written threads",
        goal=f"<= 12, and {large:,} tasks < 5 s",
        met=linear <= 12 and seconds < 5,
        verdict=(
            f"{large:,} tasks took {linear:.1f} times as long as {middle:,} "
            f"(goal: at most 12) and {seconds:.2f} s (goal: under 5 s)"
        ),
    )
