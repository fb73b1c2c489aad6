"""Parallel teardown: independent services are cleaned at the same time.

What is measured
----------------
A job registers 20 services that depend on nothing; each one's `cleanup()`
sleeps 0.5 s. The teardown time runs from the first service's `stop()` being
called (teardown has begun) to `job.wait()` returning. Each cleanup also
measures itself, and the goal compares the teardown with the slowest single
cleanup: at most 1.5 times it.

The baseline is what a runtime that cleans services one after another takes:
the same 20 service objects, each stopped and cleaned in turn on one thread.
"""

from __future__ import annotations

import threading
import time

from benchmarks.common import Row
from lifecycle import LocalEnvironment


class Slow:
    """A service whose cleanup takes `seconds`; it records when things happen."""

    def __init__(self, seconds: float, log: TeardownLog) -> None:
        self.seconds = seconds
        self.log = log

    def stop(self) -> None:
        self.log.stopping(time.perf_counter())

    def cleanup(self) -> None:
        began = time.perf_counter()
        time.sleep(self.seconds)
        self.log.cleaned(time.perf_counter() - began)


class TeardownLog:
    """The first stop and the longest cleanup, written from several threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.first_stop = float("inf")
        self.longest_cleanup = 0.0

    def stopping(self, now: float) -> None:
        with self._lock:
            self.first_stop = min(self.first_stop, now)

    def cleaned(self, took: float) -> None:
        with self._lock:
            self.longest_cleanup = max(self.longest_cleanup, took)


def lifecycle_teardown(services: int, seconds: float) -> tuple[float, float]:
    """Run one job; return its teardown time and its slowest cleanup, in s."""
    log = TeardownLog()
    with LocalEnvironment("teardown", stop_timeout=seconds * 20 + 10) as env:
        for index in range(services):
            env.register_service(f"slow-{index}", Slow, seconds, log)
        env.from_batch(range(services)).sink(lambda item: None)
        job = env.submit(autostop=True, block=False)
        job.wait(timeout=seconds * 20 + 30)
        returned = time.perf_counter()
    return returned - log.first_stop, log.longest_cleanup


def serial_teardown(services: int, seconds: float) -> float:
    """Seconds to stop and clean the same services one after another."""
    log = TeardownLog()
    instances = [Slow(seconds, log) for _ in range(services)]
    start = time.perf_counter()
    for instance in instances:
        instance.stop()
        instance.cleanup()
    return time.perf_counter() - start


def run(quick: bool) -> list[Row]:
    """Teardown time of 20 services against the serial baseline."""
    services, seconds = (5, 0.02) if quick else (20, 0.5)
    teardown, slowest = lifecycle_teardown(services, seconds)
    serial = serial_teardown(services, seconds)
    return [
        Row(
            case="parallel teardown",
            measure=(
                f"{services} services, {seconds:g} s cleanup each "
                f"(slowest single cleanup {slowest:.3f} s)"
            ),
            value=teardown,
            unit="s",
            baseline=serial,
            baseline_label=f"{services} x {seconds:g} s one after another",
            ratio=teardown / slowest,
            ratio_label="teardown / slowest single cleanup",
            goal="ratio <= 1.5",
            met=teardown / slowest <= 1.5,
            verdict=(
                f"{teardown:.3f} s, {teardown / slowest:.2f} times the slowest "
                f"cleanup (goal: at most 1.5); serial: {serial:.2f} s"
            ),
        )
    ]
