"""Throughput: items a second through source -> map -> map -> sink.

What is measured
----------------
The graph is a source over N integers, `map(add one)`, `map(double)` and a
sink that counts, with the maps and the sink at parallelism P (the source is
one task, as `from_batch` always is). lifecycle runs it as a job; the time is
the wall time of `env.submit(autostop=True)`, so it includes starting and
cleaning every task.

The baseline is the same graph written by hand the usual way
(`benchmarks/handwritten.py`): one thread per instance, a
`queue.Queue(maxsize=256)` in front of each stage (lifecycle's default queue
size), and end of input passed on by the last instance of a stage to finish,
which puts one sentinel per instance of the next stage. The time runs from
starting the threads to joining them all.

Both sides run alternately, best of three each; the ratio is lifecycle's items
a second over the hand-written graph's.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

from benchmarks.common import Row, best_of
from benchmarks.handwritten import QUEUE_SIZE, run_graph
from lifecycle import LocalEnvironment


def add_one(item: int) -> int:
    return item + 1


def double(item: int) -> int:
    return item * 2


class Counter:
    """A sink that counts what reaches it, from any number of threads."""

    def __init__(self) -> None:
        self._counted = itertools.count()

    def __call__(self, item: Any) -> None:
        next(self._counted)  # one C call: atomic under the GIL

    @property
    def total(self) -> int:
        return next(self._counted)


def lifecycle_seconds(items: int, parallelism: int) -> float:
    """Wall time of one lifecycle job over `items` items."""
    counter = Counter()
    with LocalEnvironment("throughput", queue_size=QUEUE_SIZE) as env:
        stream = env.from_batch(range(items))
        stream = stream.map(add_one, parallelism=parallelism)
        stream = stream.map(double, parallelism=parallelism)
        stream.sink(counter, parallelism=parallelism)
        start = time.perf_counter()
        env.submit(autostop=True)
        elapsed = time.perf_counter() - start
    _check(counter.total, items)
    return elapsed


def handwritten_seconds(items: int, parallelism: int) -> float:
    """Wall time of the same graph on plain threads and `queue.Queue`."""
    counter = Counter()
    stages = [(add_one, parallelism), (double, parallelism), (counter, parallelism)]
    elapsed = run_graph(range(items), stages)
    _check(counter.total, items)
    return elapsed


def _check(counted: int, items: int) -> None:
    if counted != items:
        raise RuntimeError(f"the sink counted {counted} items of {items}")


def run(quick: bool) -> list[Row]:
    """Items a second at parallelism 1 and 4, against the hand-written graph."""
    items = 2_000 if quick else 100_000
    rows = []
    for parallelism in (1, 4):
        ours, theirs = best_of(
            1 if quick else 3,
            lambda p=parallelism: lifecycle_seconds(items, p),
            lambda p=parallelism: handwritten_seconds(items, p),
        )
        rows.append(
            Row(
                case="throughput",
                measure=f"items/s, {items:,} items, parallelism {parallelism}",
                value=items / ours,
                unit="/s",
                baseline=items / theirs,
                baseline_label="threads and queue.Queue",
                ratio=theirs / ours,
                ratio_label="lifecycle / hand-written",
                goal="ratio >= 0.7",
                met=theirs / ours >= 0.7,
                verdict=(
                    f"parallelism {parallelism}: {theirs / ours:.2f} of the "
                    f"hand-written graph's rate (goal: at least 0.7)"
                ),
            )
        )
    return rows
