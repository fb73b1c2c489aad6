"""Starting a job's threads without holding up its driver.

`threading.Thread.start()` returns only once the new thread has run, so the
caller waits until the operating system schedules it: tens of microseconds on
an idle machine, several milliseconds on a loaded one. The driver used to start
every task's thread itself, one after another, and applied no event meanwhile;
a job of 10,000 tasks spent most of its time there.

A `ThreadStarter` collects the runners to start while the driver executes the
commands of one event (`add`), then starts them when the driver is done with
that event (`flush`). A few it starts at once itself; more it hands to helper
threads that start them side by side, so the waits overlap. A helper ends as
soon as nothing is left to start. Starting order is not kept, and need not
be: the kernel issues a start only once what the component needs is running.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from typing import Protocol

from lifecycle import events as ev

#: Helpers starting threads at the same time. On the 2-core machine of
#: docs/performance.md, 10,000 threads started by one thread took 5 to 8 s
#: under load and by 2, 4 or 8 helpers 0.6 to 1.5 s; 4 leaves a margin.
HELPERS = 4


class Startable(Protocol):
    """A runner: a component's name and a way to start its thread."""

    name: str

    def start(self) -> None: ...


class ThreadStarter:
    """Starts the runners of one job, on helper threads when they are many.

    Only the driver's thread calls `add` and `flush`.

    Args:
        name: prefix of the helpers' thread names.
        report: queues an event for the driver; a runner whose thread cannot
            be started is reported as a failed setup.
        helpers: how many helpers may start threads at the same time; a
            batch of at most this many is started by the caller.
    """

    def __init__(
        self, name: str, report: Callable[[ev.Event], None], helpers: int = HELPERS
    ) -> None:
        self._name = name
        self._report = report
        self._helpers = helpers
        #: Runners added since the last flush.
        self._batch: list[Startable] = []
        #: Runners handed to the helpers and not yet taken by one.
        self._pending: deque[Startable] = deque()
        #: Helpers that have not yet seen `_pending` empty.
        self._running = 0
        self._lock = threading.Lock()
        #: Every helper thread created, oldest first.
        self.threads: list[threading.Thread] = []

    def add(self, runner: Startable) -> None:
        """Start `runner` at the next `flush`."""
        self._batch.append(runner)

    def flush(self) -> None:
        """Start the runners added since the last flush; a few before returning."""
        batch, self._batch = self._batch, []
        if len(batch) <= self._helpers:
            for runner in batch:
                self._start(runner)
            return
        with self._lock:
            self._pending.extend(batch)
            more = self._helpers - self._running
            self._running += more
        for hired in range(more):
            if not self._hire_helper():
                # No thread to be had for a helper: start the rest here.
                with self._lock:
                    self._running -= more - hired
                self._start_pending(helper=False)
                return

    def _hire_helper(self) -> bool:
        """Start one helper thread; False if the system has none to give."""
        helper = threading.Thread(
            target=self._start_pending, name=f"{self._name}:starter", daemon=True
        )
        try:
            helper.start()
        except RuntimeError:  # "can't start new thread"
            return False
        self.threads.append(helper)
        return True

    def _start_pending(self, helper: bool = True) -> None:
        """Start pending runners until none is left (as a helper, then leave)."""
        while True:
            with self._lock:
                if not self._pending:
                    self._running -= helper
                    return
                runner = self._pending.popleft()
            self._start(runner)

    def _start(self, runner: Startable) -> None:
        try:
            runner.start()
        except RuntimeError as error:  # "can't start new thread"
            self._report(ev.StartFailed(runner.name, error))
