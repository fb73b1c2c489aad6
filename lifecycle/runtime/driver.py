"""The one consumer of a job's events.

Every thread of a job (tasks, services, callers of `stop`) reports what
happened by putting an event on the driver's queue. The driver thread takes
them one at a time, in arrival order, applies each to the kernel, and hands
the resulting commands to the runtime. No lock is held while user code runs,
and the kernel needs none: only this thread touches it.

Deadlines live in a heap on the same thread. The driver blocks on its queue
until the next deadline at the latest; when one passes, the deadline's event
is applied like any other. Nothing sleeps and looks again.

Waiting is a query: after each event the driver publishes the dispatcher's
phase (and every phase it passed through) under a condition and wakes the
waiters, so `wait()` returns the moment the phase it waits for is reached.
"""

from __future__ import annotations

import heapq
import itertools
import queue
import threading
import time
from collections.abc import Callable

from lifecycle import events as ev
from lifecycle.errors import InvalidTransition, LifecycleError
from lifecycle.kernel import Kernel
from lifecycle.logs import get_logger
from lifecycle.phases import Phase

_log = get_logger()


class Driver:
    """Applies a job's events to its kernel on a thread of its own.

    Args:
        kernel: the job's kernel; only the driver's thread touches it.
        execute: runs one command; called on the driver's thread, must not
            block and must not raise.
        flush: called on the driver's thread after the commands of each
            event, so that the runtime can act on them together.
    """

    def __init__(
        self,
        kernel: Kernel,
        execute: Callable[[ev.Command], None],
        flush: Callable[[], None] = lambda: None,
    ) -> None:
        self.kernel = kernel
        self.thread = threading.Thread(
            target=self._run, name=f"lifecycle:{kernel.job}:driver", daemon=True
        )
        self._execute = execute
        self._flush = flush
        self._events: queue.SimpleQueue[ev.Event] = queue.SimpleQueue()
        #: (monotonic due time, tie-breaker, event) for every armed deadline.
        self._deadlines: list[tuple[float, int, ev.Event]] = []
        self._tie = itertools.count()
        self._changed = threading.Condition()
        #: The dispatcher's phase as last published; read under `_changed`.
        self.phase = kernel.state
        #: Every dispatcher phase published so far.
        self.visited: set[Phase] = {kernel.state}
        #: Called on the driver's thread once the dispatcher is terminal.
        self.on_terminal: Callable[[], None] | None = None
        self._published = 0
        #: The error that stopped the driver, if the kernel ever raised one
        #: other than `InvalidTransition` (a bug in lifecycle).
        self.failure: BaseException | None = None

    def start(self, first: ev.Event) -> None:
        """Start the thread with `first` (the `Submit`) as its first event."""
        self._events.put(first)
        self.thread.start()

    def report(self, event: ev.Event) -> None:
        """Queue an event; safe from any thread."""
        self._events.put(event)

    def arm(self, delay: float, event: ev.Event) -> None:
        """Apply `event` after `delay` seconds. Only the driver's thread calls this."""
        due = time.monotonic() + delay
        heapq.heappush(self._deadlines, (due, next(self._tie), event))

    def wait_for(self, done: Callable[[], bool], timeout: float | None) -> bool:
        """Block until `done()` holds, checked at each published change.

        Returns:
            `done()` as it stood when the wait ended.

        Raises:
            LifecycleError: the driver stopped on a bug in the kernel.
        """
        with self._changed:
            ended = self._changed.wait_for(
                lambda: done() or self.failure is not None, timeout
            )
        if self.failure is not None:
            raise LifecycleError(
                f"job {self.kernel.job!r} stopped: lifecycle's driver failed on "
                f"an event ({self.failure!r}). This is a bug in lifecycle; "
                f"please report it with the job's history."
            ) from self.failure
        return ended

    # -- The driver's thread -----------------------------------------------------

    def _run(self) -> None:
        try:
            while not self.kernel.state.terminal and self.failure is None:
                self._apply(self._next_event())
        except BaseException as error:
            _log.exception("driver failed", job=self.kernel.job)
            self._fail(error)
        finally:
            if self.on_terminal is not None:
                self.on_terminal()

    def _fail(self, error: BaseException) -> None:
        """Stop on a bug in lifecycle and wake every waiter with the error.

        The kernel's state can no longer be trusted, so nothing more is
        applied; waiters raise `LifecycleError` instead of hanging.
        """
        with self._changed:
            self.failure = error
            self._changed.notify_all()

    def _next_event(self) -> ev.Event:
        """The next event: a report already queued, else the first deadline due.

        Queued reports go first, so a component that reported while the
        driver was busy is never abandoned by a deadline that fell due
        meanwhile. Reports are few per component, so deadlines still come.
        """
        while True:
            try:
                return self._events.get_nowait()
            except queue.Empty:
                pass
            if not self._deadlines:
                return self._events.get()
            due, _, event = self._deadlines[0]
            delay = due - time.monotonic()
            if delay <= 0:
                heapq.heappop(self._deadlines)
                return event
            try:
                return self._events.get(timeout=delay)
            except queue.Empty:
                continue

    def _apply(self, event: ev.Event) -> None:
        try:
            commands = self.kernel.handle(event)
        except InvalidTransition as error:
            _log.error("refused event", job=self.kernel.job, error=str(error))
            return
        except Exception as error:
            _log.exception("kernel failed on an event", job=self.kernel.job)
            self._fail(error)
            return
        for command in commands:
            try:
                self._execute(command)
            except Exception:
                _log.exception("command failed", job=self.kernel.job, command=command)
        self._publish()
        try:
            self._flush()
        except Exception:
            # The runners not started miss their start deadline and are
            # abandoned, so the job still ends.
            _log.exception("could not start threads", job=self.kernel.job)

    def _publish(self) -> None:
        entered = self.kernel.entered
        if len(entered) == self._published:
            return
        with self._changed:
            self.visited.update(phase for phase, _ in entered[self._published :])
            self._published = len(entered)
            self.phase = self.kernel.state
            self._changed.notify_all()
