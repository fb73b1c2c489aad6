"""Starting a job's threads without holding up its driver.

`threading.Thread.start()` returns only once the new thread has run, so the
caller waits until the operating system schedules it: tens of microseconds on
an idle machine, several milliseconds on a loaded one. The driver used to start
every task's thread itself, one after another, and applied no event meanwhile;
a job of 10,000 tasks spent most of its time there.

A `ThreadStarter` takes the runners to start and starts them on a few helper
threads of its own, side by side, so the waits overlap and the driver goes on
at once. A helper ends as soon as nothing is left to start; a later burst
starts new ones. Starting order is not kept, and need not be: the kernel only
issues a start once what the component needs is running.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Protocol

from lifecycle.logs import get_logger

_log = get_logger()

#: Helpers starting threads at the same time. On the 2-core machine of
#: docs/performance.md, 10,000 threads started by one thread took 5 to 8 s
#: under load and by 2, 4 or 8 helpers 0.6 to 1.5 s; 4 leaves a margin.
HELPERS = 4


class Startable(Protocol):
    """A runner: a component's name and a way to start its thread."""

    name: str

    def start(self) -> None: ...


class ThreadStarter:
    """Starts runners on up to `helpers` helper threads.

    Args:
        name: prefix of the helpers' thread names.
        helpers: how many helpers may start threads at the same time.
    """

    def __init__(self, name: str, helpers: int = HELPERS) -> None:
        self._name = name
        self._helpers = helpers
        #: Runners handed over and not yet taken by a helper.
        self._pending: deque[Startable] = deque()
        #: Helpers that have not yet seen `_pending` empty.
        self._running = 0
        self._lock = threading.Lock()
        #: Every helper thread created, oldest first.
        self.threads: list[threading.Thread] = []

    def start(self, runner: Startable) -> None:
        """Have `runner` started soon; returns without waiting for it."""
        with self._lock:
            self._pending.append(runner)
            if self._running >= self._helpers:
                return
            self._running += 1
            helper = threading.Thread(
                target=self._start_pending, name=f"{self._name}:starter", daemon=True
            )
            self.threads.append(helper)
        helper.start()

    def _start_pending(self) -> None:
        while True:
            with self._lock:
                if not self._pending:
                    self._running -= 1
                    return
                runner = self._pending.popleft()
            try:
                runner.start()
            except Exception:
                # As when the driver started it: the component's start
                # deadline runs out and it is recorded FAILED.
                _log.exception("could not start a thread", component=runner.name)
