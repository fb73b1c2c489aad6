"""The pytest plugin of lifecycle: the `lifecycle_guard` fixture.

Enable it in your top-level `conftest.py` with one line, either
`pytest_plugins = ["lifecycle.testing"]` (with the hypothesis strategies) or
`pytest_plugins = ["lifecycle.pytest_plugin"]` (without hypothesis); not
both. It is not loaded automatically: a plugin that imports lifecycle when
pytest starts would run before coverage measurement begins.

A test that uses the fixture fails if, when it ends, a job it submitted is
not terminal (some component still running) or a lifecycle thread it started
is still alive; abandoned threads (named `... (abandoned)`) are allowed, as
`env.close()` allows them. Jobs left running are then stopped, so that later
tests start clean. To guard every test, pass `--lifecycle-guard` or set
`lifecycle_guard = true` in the pytest configuration.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from lifecycle.events import StopOrigin, StopReason
from lifecycle.job import Job, live_jobs

#: Seconds given to a job's threads to end after the job is terminal.
THREAD_GRACE = 5.0
#: Seconds given to a leftover job to stop before the guard gives up on it.
STOP_GRACE = 10.0


def lifecycle_threads() -> list[threading.Thread]:
    """Lifecycle threads alive now, abandoned ones aside."""
    return [
        thread
        for thread in threading.enumerate()
        if thread.name.startswith("lifecycle:") and "(abandoned)" not in thread.name
    ]


class LifecycleGuard:
    """What a test started; `check` lists what it left behind.

    `start` notes the jobs already live and the lifecycle threads already
    running; the jobs and threads that appear after are the test's. It only
    reads `lifecycle.job.live_jobs()`, which holds every job until it is
    terminal, so a job the test dropped is still found. `stop` ends the
    guard and lets go of the jobs it noted.
    """

    def __init__(self) -> None:
        self._threads_before: set[threading.Thread] = set()
        self._jobs_before: set[Job] = set()

    def start(self) -> LifecycleGuard:
        self._threads_before = set(lifecycle_threads())
        self._jobs_before = set(live_jobs())
        return self

    def stop(self) -> None:
        self._jobs_before = set()

    @property
    def jobs(self) -> list[Job]:
        """Jobs submitted since `start` that are not terminal yet.

        A job leaves this list when it ends: a terminal job leaves nothing
        behind but its threads, which `stray_threads` finds.
        """
        return [job for job in live_jobs() if job not in self._jobs_before]

    def open_jobs(self) -> list[str]:
        """One line per job that is not terminal, naming what still runs."""
        found = []
        for job in self.jobs:
            views = {**job.tasks, **job.services}.values()
            running = [
                f"{v.kind} {v.name!r} {v.state.name}"
                for v in views
                if not v.state.terminal
            ]
            if running or not job.state.terminal:
                found.append(
                    f"job {job.name!r} is {job.state.name} with "
                    f"{', '.join(running) or 'no component open'}"
                )
        return found

    def stray_threads(self, grace: float = THREAD_GRACE) -> list[str]:
        """Names of lifecycle threads started since, alive after `grace` s."""
        deadline = time.monotonic() + grace
        for thread in self._new_threads():
            thread.join(max(0.0, deadline - time.monotonic()))
        return [thread.name for thread in self._new_threads()]

    def _new_threads(self) -> list[threading.Thread]:
        return [t for t in lifecycle_threads() if t not in self._threads_before]

    def stop_leftovers(self, grace: float = STOP_GRACE) -> None:
        """Ask every job left open to stop, and wait a little for each."""
        for job in self.jobs:
            if not job.state.terminal:
                job._request_stop(StopReason(StopOrigin.CLOSE, "lifecycle_guard"))
                try:
                    job.wait(timeout=grace)
                except TimeoutError:
                    continue

    def check(self) -> list[str]:
        """Everything the test left behind, one line each; stops leftovers."""
        problems = self.open_jobs()
        if problems:
            self.stop_leftovers()
        threads = self.stray_threads()
        if threads:
            problems.append(f"lifecycle threads still running: {threads}")
        return problems


@pytest.fixture
def lifecycle_guard() -> Iterator[LifecycleGuard]:
    """Fail the test if it leaves a job non-terminal or a lifecycle thread alive."""
    guard = LifecycleGuard().start()
    try:
        yield guard
        problems = guard.check()
    finally:
        guard.stop()
    if problems:
        pytest.fail(
            "the test left lifecycle work behind: "
            + "; ".join(problems)
            + ". Use `with LocalEnvironment(...)` or call env.close().",
            pytrace=False,
        )


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "lifecycle_guard", "use the lifecycle_guard fixture in every test", "bool"
    )
    parser.addoption(
        "--lifecycle-guard",
        action="store_true",
        help="use the lifecycle_guard fixture in every test",
    )


def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> None:
    if not (config.getoption("lifecycle_guard") or config.getini("lifecycle_guard")):
        return
    for item in items:
        fixtures = getattr(item, "fixturenames", None)
        if fixtures is not None and "lifecycle_guard" not in fixtures:
            fixtures.append("lifecycle_guard")
