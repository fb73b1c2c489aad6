"""Throughput: items a second through source -> map -> map -> sink.

What is measured
----------------
The graph is a source over N integers, `map(add one)`, `map(double)` and a
sink that counts, with the maps and the sink at parallelism P (the source is
one task, as `from_batch` always is). lifecycle runs it as a job; the time is
the wall time of `env.submit(autostop=True)`, so it includes starting and
cleaning every task.

The baseline is the same graph written by hand the usual way: one thread per
instance, a `queue.Queue(maxsize=256)` in front of each stage (lifecycle's
default queue size), and end of input passed on by the last instance of a
stage to finish, which puts one sentinel per instance of the next stage. The
time runs from starting the threads to joining them all.

Both sides run alternately, best of three each; the ratio is lifecycle's items
a second over the hand-written graph's.
"""

from __future__ import annotations

import itertools
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from benchmarks.common import Row, best_of
from lifecycle import LocalEnvironment

QUEUE_SIZE = 256
_END = object()


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


class _Stage:
    """One stage of the hand-written graph: `parallelism` threads on a queue."""

    def __init__(
        self,
        function: Callable[[Any], Any],
        inbox: queue.Queue,
        outbox: queue.Queue | None,
        parallelism: int,
        next_parallelism: int,
    ) -> None:
        self.function = function
        self.inbox, self.outbox = inbox, outbox
        self.next_parallelism = next_parallelism
        self.running = parallelism
        self.lock = threading.Lock()
        self.threads = [
            threading.Thread(target=self.work, daemon=True) for _ in range(parallelism)
        ]

    def work(self) -> None:
        get, put, function = (
            self.inbox.get,
            self.outbox and self.outbox.put,
            self.function,
        )
        while (item := get()) is not _END:
            result = function(item)
            if put is not None:
                put(result)
        self.finished()

    def finished(self) -> None:
        with self.lock:
            self.running -= 1
            last = self.running == 0
        if last and self.outbox is not None:
            for _ in range(self.next_parallelism):
                self.outbox.put(_END)


def handwritten_seconds(items: int, parallelism: int) -> float:
    """Wall time of the same graph on plain threads and `queue.Queue`."""
    counter = Counter()
    queues = [queue.Queue(maxsize=QUEUE_SIZE) for _ in range(3)]
    stages = [
        _Stage(add_one, queues[0], queues[1], parallelism, parallelism),
        _Stage(double, queues[1], queues[2], parallelism, parallelism),
        _Stage(counter, queues[2], None, parallelism, 0),
    ]

    def source() -> None:
        put = queues[0].put
        for item in range(items):
            put(item)
        for _ in range(parallelism):
            put(_END)

    threads = [threading.Thread(target=source, daemon=True)]
    threads += [thread for stage in stages for thread in stage.threads]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
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
