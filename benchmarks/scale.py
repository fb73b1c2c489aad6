"""Scale: submit to CLEANED for jobs of many task instances, or many services.

What is measured
----------------
A task job is `source -> map(parallelism=N - 2) -> sink` over N items, so it
has N task instances, each on a thread of its own, and every map instance
gets about one item. A service job registers N independent services and runs
`source -> sink` over ten items. The time is the wall time of
`env.submit(autostop=True)`, which returns once the job is CLEANED, best of a
few runs; the process CPU time of the same run is shown beside it, since on a
shared machine it drifts less than the wall time.

Memory per component is the peak of Python allocations (tracemalloc) during
submit-to-CLEANED, less what was allocated before submit, divided by the
number of components, in a separate run (tracemalloc slows everything down).
It counts the kernel, the runtime's objects and the `threading.Thread`
objects, not the threads' stacks, which the operating system maps outside
Python's allocator.

The baseline is the 1,000-task job of the same run: the 10,000-task job should
take at most 12 times as long (linear, with a margin), and under 5 s.
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable

from benchmarks.common import Row
from lifecycle import LocalEnvironment


def task_job(tasks: int) -> Callable[[], tuple[float, float]]:
    """A function running one job of `tasks` task instances; returns its times."""

    def run() -> tuple[float, float]:
        with LocalEnvironment(f"scale-{tasks}-tasks") as env:
            stream = env.from_batch(range(tasks))
            stream.map(_same, parallelism=tasks - 2).sink(_drop)
            return _timed(env)

    return run


def service_job(services: int) -> Callable[[], tuple[float, float]]:
    """A function running one job with `services` services; returns its times."""

    def run() -> tuple[float, float]:
        with LocalEnvironment(f"scale-{services}-services") as env:
            for index in range(services):
                env.register_service(f"service-{index}", _Idle)
            env.from_batch(range(10)).sink(_drop)
            return _timed(env)

    return run


class _Idle:
    """A service with nothing to set up or clean."""


def _same(item: int) -> int:
    return item


def _drop(item: int) -> None:
    return None


def _timed(env: LocalEnvironment) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    env.submit(autostop=True)
    return time.perf_counter() - wall, time.process_time() - cpu


def best(job: Callable[[], tuple[float, float]], repeats: int) -> tuple[float, float]:
    """The run with the least wall time, of `repeats`."""
    return min((job() for _ in range(repeats)), key=lambda times: times[0])


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


def _build_tasks(tasks: int) -> Callable[[LocalEnvironment], None]:
    def build(env: LocalEnvironment) -> None:
        env.from_batch(range(tasks)).map(_same, parallelism=tasks - 2).sink(_drop)

    return build


def _build_services(services: int) -> Callable[[LocalEnvironment], None]:
    def build(env: LocalEnvironment) -> None:
        for index in range(services):
            env.register_service(f"service-{index}", _Idle)
        env.from_batch(range(10)).sink(_drop)

    return build


def run(quick: bool) -> list[Row]:
    """Times for each size, the linearity ratio and memory per component."""
    sizes = (10, 100, 300) if quick else (100, 1_000, 10_000)
    small, middle, large = sizes
    services = 50 if quick else 1_000
    repeats = 1 if quick else 3
    times = {size: best(task_job(size), repeats) for size in (small, middle)}
    times[large] = best(task_job(large), 1 if quick else 2)
    service_times = best(service_job(services), repeats)

    rows = [
        _size_row(size, "tasks", times[size], times[middle], middle) for size in sizes
    ]
    linear = times[large][0] / times[middle][0]
    rows[-1].goal = f"ratio <= 12 and < 5 s for {large:,} tasks"
    rows[-1].met = linear <= 12 and times[large][0] < 5
    rows[-1].verdict = (
        f"{large:,} tasks took {linear:.1f} times as long as {middle:,} "
        f"(goal: at most 12) and {times[large][0]:.2f} s (goal: under 5 s)"
    )
    rows.append(_size_row(services, "services", service_times, times[middle], middle))
    for what, build, count in (
        ("tasks", _build_tasks(middle), middle),
        ("services", _build_services(services), services + 2),
    ):
        rows.append(
            Row(
                case="scale",
                measure=f"memory per component, {count:,} {what} job (tracemalloc)",
                value=memory_per_component(build, count) / 1024,
                unit="KiB",
            )
        )
    return rows


def _size_row(
    size: int,
    what: str,
    times: tuple[float, float],
    baseline: tuple[float, float],
    baseline_size: int,
) -> Row:
    wall, cpu = times
    return Row(
        case="scale",
        measure=f"submit to CLEANED, {size:,} {what} (CPU {cpu:.2f} s)",
        value=wall,
        unit="s",
        baseline=baseline[0],
        baseline_label=f"{baseline_size:,} tasks",
        ratio=wall / baseline[0],
        ratio_label=f"time / time of {baseline_size:,} tasks",
    )
