"""Wait latency: from the last service cleanup returning to `wait()` returning.

What is measured
----------------
Each job has two services, `index` depending on `db`, so `db` is cleaned last,
and a short pipeline that calls `index`. Every service's `cleanup()` ends by
reading `time.perf_counter()`; the latency of a job is the moment `job.wait()`
returns minus the latest of those readings. The main thread is already inside
`wait()` when the cleanups run: each cleanup first waits for the main thread's
signal that it is about to call `wait()`, then lets 1 ms pass.

lifecycle's jobs run one after another, each in its own `LocalEnvironment`.

The baselines are the way the old runtimes waited: the same two services and
the same pipeline run on plain threads, the teardown runs the cleanups in
reverse dependency order and then sets a flag, and the caller loops
`while not flag: time.sleep(period)`. A real batch ends at no particular
moment of the caller's polling period, so each baseline job's work lasts a
random time, uniform over one period; a fixed length would put every end at
the same point of the period and make the figure depend on that choice. The
baseline jobs run side by side (each with its own polling loop), which only
shortens the run: a job's latency depends on its own loop alone.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field

from benchmarks.common import Row, median, percentile
from lifecycle import Function, LocalEnvironment, Service

#: The old runtimes' polling periods, in seconds.
PERIODS = (0.1, 1.0)
#: How many baseline jobs run side by side.
BASELINE_BATCH = 50
#: A bound on every wait, so that a broken job fails the run instead of hanging.
WAIT_BOUND = 60.0


@dataclass
class Stamps:
    """When each service's cleanup returned, and the signal to go ahead."""

    go: threading.Event = field(default_factory=threading.Event)
    cleaned: dict[str, float] = field(default_factory=dict)


class Stamped(Service):
    """A service whose cleanup records when it returns."""

    def __init__(self, name: str, stamps: Stamps) -> None:
        self.name = name
        self.stamps = stamps

    def lookup(self, item: int) -> int:
        return item

    def cleanup(self) -> None:
        self.stamps.go.wait(WAIT_BOUND)
        time.sleep(0.001)
        self.stamps.cleaned[self.name] = time.perf_counter()


class Lookup(Function):
    def execute(self, item: int) -> int:
        return self.service("index").lookup(item)


def lifecycle_latency(index: int) -> float:
    """Seconds from the last cleanup returning to `wait()` returning, one job."""
    stamps = Stamps()
    with LocalEnvironment(f"wait-{index}") as env:
        env.register_service("db", Stamped, "db", stamps)
        env.register_service("index", Stamped, "index", stamps, depends_on=["db"])
        env.from_batch(range(10)).map(Lookup).sink(lambda item: None)
        job = env.submit(autostop=True, block=False)
        stamps.go.set()
        job.wait(timeout=WAIT_BOUND)
        returned = time.perf_counter()
    return returned - max(stamps.cleaned.values())


class PollingJob:
    """The same job on plain threads, with a flag set once cleanup is done."""

    def __init__(self, work_seconds: float) -> None:
        self.stamps = Stamps()
        self.stamps.go.set()
        self.work_seconds = work_seconds
        self.cleaned = False
        self.services = {name: Stamped(name, self.stamps) for name in ("db", "index")}
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        for item in range(10):
            self.services["index"].lookup(item)
        time.sleep(self.work_seconds)
        for name in ("index", "db"):
            self.services[name].cleanup()
        self.cleaned = True

    def wait(self, period: float) -> float:
        """Poll the flag every `period` seconds; return when it was seen set."""
        deadline = time.monotonic() + WAIT_BOUND
        while not self.cleaned and time.monotonic() < deadline:
            time.sleep(period)
        return time.perf_counter()


def polling_latencies(period: float, jobs: int, rng: random.Random) -> list[float]:
    """Latencies of `jobs` polling jobs, `BASELINE_BATCH` of them at a time."""
    found: list[float] = []
    while len(found) < jobs:
        count = min(BASELINE_BATCH, jobs - len(found))
        found += _poll_batch(
            [PollingJob(rng.uniform(0, period)) for _ in range(count)], period
        )
    return found


def _poll_batch(batch: list[PollingJob], period: float) -> list[float]:
    """Run `batch` side by side, each job with its own polling loop."""
    returned = [0.0] * len(batch)

    def poll(slot: int, job: PollingJob) -> None:
        returned[slot] = job.wait(period)

    pollers = [
        threading.Thread(target=poll, args=(slot, job))
        for slot, job in enumerate(batch)
    ]
    for job, poller in zip(batch, pollers, strict=True):
        job.thread.start()
        poller.start()
    for job, poller in zip(batch, pollers, strict=True):
        poller.join()
        job.thread.join()
    return [
        back - max(job.stamps.cleaned.values())
        for back, job in zip(returned, batch, strict=True)
    ]


def run(quick: bool, jobs: int | None = None) -> list[Row]:
    """Median and p99 latency of lifecycle against each polling period."""
    jobs = jobs or (10 if quick else 200)
    ours = [lifecycle_latency(index) for index in range(jobs)]
    rng = random.Random(6)
    theirs = {period: polling_latencies(period, jobs, rng) for period in PERIODS}
    rows = []
    for label, statistic in (("median", median), ("p99", p99)):
        for period in PERIODS:
            mine, polled = statistic(ours), statistic(theirs[period])
            goal = label == "median" and period == PERIODS[0]
            rows.append(
                Row(
                    case="wait latency",
                    measure=f"{label} over {jobs} jobs",
                    value=mine * 1e3,
                    unit="ms",
                    baseline=polled * 1e3,
                    baseline_label=f"sleep({period:g}) polling loop",
                    ratio=polled / mine,
                    ratio_label="polling / lifecycle",
                    goal="median < 1 ms" if goal else "",
                    met=mine < 1e-3 if goal else None,
                    verdict=f"median {mine * 1e3:.3f} ms (goal: under 1 ms)"
                    if goal
                    else "",
                )
            )
    return rows


def p99(values: list[float]) -> float:
    return percentile(values, 0.99)
