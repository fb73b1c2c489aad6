"""A dataflow graph written by hand, the usual way: threads and `queue.Queue`.

It is the baseline of the throughput case and the reference of the scale
case. One thread per instance; a `queue.Queue(maxsize=256)` in front of each
stage (lifecycle's default queue size); end of input passed on by the last
instance of a stage to finish, which puts one sentinel per instance of the
next stage. No lifecycle: no phases, no history, no cleanup protocol.
"""

from __future__ import annotations

import itertools
import queue
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

QUEUE_SIZE = 256
_END = object()


class Stage:
    """`parallelism` threads applying `function` to what arrives in `inbox`."""

    def __init__(
        self,
        function: Callable[[Any], Any],
        parallelism: int,
        inbox: queue.Queue,
        outbox: queue.Queue | None,
    ) -> None:
        self.function = function
        self.inbox, self.outbox = inbox, outbox
        #: Instances of the next stage: how many sentinels to pass on.
        self.next_parallelism = 0
        self.running = parallelism
        self.lock = threading.Lock()
        self.threads = [
            threading.Thread(target=self.work, daemon=True) for _ in range(parallelism)
        ]

    def work(self) -> None:
        get, function = self.inbox.get, self.function
        put = self.outbox.put if self.outbox is not None else None
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


def run_graph(
    items: Iterable[Any], stages: Sequence[tuple[Callable[[Any], Any], int]]
) -> float:
    """Run source -> stages, each `(function, parallelism)`; return the seconds.

    The time runs from starting the threads to joining them all. The last
    stage's results are dropped: make it the sink.
    """
    queues = [queue.Queue(maxsize=QUEUE_SIZE) for _ in stages]
    built = [
        Stage(function, parallelism, queues[index], _next(queues, index))
        for index, (function, parallelism) in enumerate(stages)
    ]
    for stage, following in itertools.pairwise(built):
        stage.next_parallelism = len(following.threads)

    def source() -> None:
        put = queues[0].put
        for item in items:
            put(item)
        for _ in built[0].threads:
            put(_END)

    threads = [threading.Thread(target=source, daemon=True)]
    threads += [thread for stage in built for thread in stage.threads]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start


def _next(queues: list[queue.Queue], index: int) -> queue.Queue | None:
    return queues[index + 1] if index + 1 < len(queues) else None
