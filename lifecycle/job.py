"""`Job`: a submitted pipeline, seen from the caller's side.

Every property reads what the job's driver published or what its kernel
recorded; none of them blocks. `wait` and `stop` block on the driver's
condition, which each dispatcher transition notifies.
"""

from __future__ import annotations

import atexit
import itertools
import threading
from collections.abc import Mapping
from dataclasses import dataclass

from lifecycle import events as ev
from lifecycle.components import Component, JobError, Outcome
from lifecycle.diagrams import run_diagram
from lifecycle.errors import ConfigError, LifecycleError
from lifecycle.events import StopOrigin, StopReason
from lifecycle.history import TransitionRecord
from lifecycle.phases import Kind, Phase
from lifecycle.runtime.local import LocalRuntime
from lifecycle.runtime.services import ServiceProxy
from lifecycle.specs import checked_timeout

#: How long `env.close()` and the exit handler wait for threads that have
#: reported their last event to end.
JOIN_TIMEOUT = 5.0


@dataclass(frozen=True)
class ComponentView:
    """A read-only view of one task or service of a job."""

    _component: Component

    @property
    def name(self) -> str:
        return self._component.name

    @property
    def kind(self) -> Kind:
        return self._component.kind

    @property
    def state(self) -> Phase:
        """The component's phase now."""
        return self._component.state

    @property
    def error(self) -> BaseException | None:
        """The component's first error, or None."""
        return self._component.error

    @property
    def abandoned(self) -> bool:
        """True if a deadline ran out and its thread was given up on."""
        return self._component.abandoned

    @property
    def phase_times(self) -> dict[Phase, float]:
        """Seconds spent in each phase left so far (the current one excluded)."""
        entered = list(self._component.entered)
        return _durations(entered)

    def __repr__(self) -> str:
        return f"<{self.kind.value} {self.name!r} {self.state.name}>"


def _durations(entered: list[tuple[Phase, float]]) -> dict[Phase, float]:
    spent: dict[Phase, float] = {}
    for (phase, began), (_, ended) in itertools.pairwise(entered):
        spent[phase] = spent.get(phase, 0.0) + ended - began
    return spent


class Job:
    """A submitted pipeline: its state, its components, and ways to end it.

    Get one from `env.submit()`; do not build it yourself.
    """

    def __init__(self, runtime: LocalRuntime) -> None:
        self._runtime = runtime
        self._kernel = runtime.kernel
        self._driver = runtime.driver
        self.name = self._kernel.job
        self.services: Mapping[str, ComponentView] = {
            c.name: ComponentView(c) for c in self._kernel.services
        }
        self.tasks: Mapping[str, ComponentView] = {
            c.name: ComponentView(c) for c in self._kernel.tasks
        }
        with _live_lock:
            _live_jobs.add(self)
        self._driver.on_terminal = self._forget

    # -- What the job is and was -------------------------------------------------

    @property
    def state(self) -> Phase:
        """The dispatcher's phase now."""
        return self._driver.phase

    @property
    def outcome(self) -> Outcome | None:
        """SUCCEEDED, FAILED or CANCELLED once the job is terminal; None before."""
        return self._kernel.outcome if self.state.terminal else None

    @property
    def failures(self) -> list[JobError]:
        """Every error with where and when it happened, first one first."""
        return list(self._kernel.errors)

    @property
    def errors(self) -> list[BaseException]:
        """Every error of the job, in the order they happened."""
        return [failure.error for failure in self.failures]

    @property
    def error(self) -> BaseException | None:
        """The job's first error (its cause of failure), or None."""
        failures = self._kernel.errors
        return failures[0].error if failures else None

    @property
    def stop_reason(self) -> StopReason | None:
        """Why the job stopped working: input ended, a stop, a failure, ..."""
        return self._kernel.stop_reason

    @property
    def history(self) -> list[TransitionRecord]:
        """Every transition so far, in order, as pydantic models."""
        return self._kernel.history.records()

    def diagram(self) -> str:
        """Mermaid text of the path this job's components took, so far.

        One box each for the dispatcher, the services and the tasks: the
        phases visited, the edges taken with how many components took each,
        failure edges dashed in red; see docs/diagrams.md.
        """
        outcome = f", outcome {self.outcome.name}" if self.outcome else ""
        title = f"job {self.name}: {self.state.name}{outcome}"
        return run_diagram(self._kernel.history.raw(), title=title)

    @property
    def abandoned(self) -> list[str]:
        """Names of the threads given up on after a deadline ran out."""
        return [thread.name for thread in self._runtime.abandoned.values()]

    @property
    def phase_times(self) -> dict[Phase, float]:
        """Seconds the dispatcher spent in each phase it has left."""
        return _durations(list(self._kernel.entered))

    def service(self, name: str, *, timeout: float | None = None) -> ServiceProxy:
        """A proxy to one of the job's services, for calls from outside the job.

        Useful while a job without autostop is parked in STOPPED with its
        services still running.

        Args:
            name: the name the service was registered under.
            timeout: seconds each call may take; None for the environment's
                `call_timeout`.

        Raises:
            UnknownService: no service of the job has that name.
            ConfigError: `timeout` is not None nor a finite number >= 0.
        """
        return self._runtime.directory.proxy(name, timeout)

    def __repr__(self) -> str:
        outcome = f" {self.outcome.name}" if self.outcome else ""
        return f"<Job {self.name!r} {self.state.name}{outcome}>"

    # -- Waiting and stopping ----------------------------------------------------

    def wait(self, phase: Phase | None = None, timeout: float | None = None) -> Phase:
        """Block until the dispatcher reaches or passes `phase` (or is terminal).

        Args:
            phase: the phase to wait for; None waits for a terminal phase. If
                the job ends without passing through it, the terminal phase
                is returned.
            timeout: seconds to wait at most; None waits as long as it takes.

        Returns:
            The dispatcher's phase when the wait ended.

        Raises:
            TimeoutError: `timeout` ran out first. The job goes on.
            KeyboardInterrupt: after tearing the job down within its deadlines.
            LifecycleError: waiting for a terminal phase from one of the
                job's own tasks or services, which would never return.
            ConfigError: `phase` is not a Phase, or `timeout` is not None nor
                a finite number >= 0.
        """
        timeout = checked_timeout(timeout, f"job {self.name!r}: wait()", "no limit")
        if phase is not None and not isinstance(phase, Phase):
            raise ConfigError(
                f"job {self.name!r}: wait() takes a lifecycle.Phase, not {phase!r}.",
                field="phase",
            )
        if (phase is None or phase.terminal) and self._runtime.on_own_thread():
            raise LifecycleError(
                f"job {self.name!r}: wait() for a terminal phase from one of the "
                f"job's own tasks or services would never return, since the job "
                f"ends only after that thread does; call job.stop() instead."
            )
        if not self._block(lambda: self._reached(phase), timeout):
            wanted = phase.name if phase else "a terminal phase"
            raise TimeoutError(
                f"job {self.name!r} did not reach {wanted} within {timeout:g} s; "
                f"it is {self.state.name}. Call job.stop() to end it."
            )
        return self.state

    def stop(self, timeout: float | None = None) -> Phase:
        """Stop gracefully, then force; return the terminal phase.

        The sources stop reading and the tasks drain what is in flight for at
        most `timeout` seconds (the environment's stop timeout if None); then
        what is left is forced. Services are torn down after the tasks.
        Safe from any thread, any number of times; never raises for a job
        that failed (look at `outcome` and `error`). Called from one of the
        job's own tasks or services, it only asks for the stop and returns
        the current phase: the job cannot end while that thread waits in it.

        Raises:
            ConfigError: `timeout` is not None nor a finite number >= 0 (0
                forces the tasks at once).
        """
        timeout = checked_timeout(
            timeout, f"job {self.name!r}: stop()", "the job's stop timeout"
        )
        self._request_stop(StopReason(StopOrigin.ASKED), timeout)
        if not self._runtime.on_own_thread():
            self._block(lambda: self.state.terminal, None)
        return self.state

    def _reached(self, phase: Phase | None) -> bool:
        driver = self._driver
        return driver.phase.terminal or (phase is not None and phase in driver.visited)

    def _block(self, done, timeout: float | None) -> bool:
        """Wait on the driver; on Ctrl-C tear the job down, then re-raise."""
        try:
            return self._driver.wait_for(done, timeout)
        except KeyboardInterrupt as interrupt:
            self._tear_down_after_interrupt(type(interrupt).__name__)
            raise

    def _request_stop(self, reason: StopReason, timeout: float | None = None) -> None:
        self._driver.report(ev.StopRequested(reason, timeout))

    def _tear_down_after_interrupt(self, name: str) -> None:
        """Graceful teardown; a second interrupt forces the tasks.

        Args:
            name: the interrupt's class name (the command line raises
                `Terminated` on SIGTERM), recorded in the stop reason.
        """
        terminal = lambda: self.state.terminal  # noqa: E731
        self._request_stop(StopReason(StopOrigin.INTERRUPT, name))
        try:
            self._driver.wait_for(terminal, None)
        except KeyboardInterrupt as interrupt:
            second = type(interrupt).__name__
            again = StopReason(StopOrigin.INTERRUPT, f"second {second}")
            self._driver.report(ev.ForceStop(again))
            self._driver.wait_for(terminal, None)

    def _close(self, origin: StopOrigin) -> None:
        """Stop, wait until terminal, then let the job's threads end."""
        if self._driver.failure is not None:
            return  # its driver stopped on a bug, already raised to the caller
        self._request_stop(StopReason(origin))
        if self._runtime.on_own_thread():
            return  # the job cannot end while this thread waits in it
        self._block(lambda: self.state.terminal, None)
        self._runtime.join(JOIN_TIMEOUT)

    def _forget(self) -> None:
        """Leave the exit handler's care; the driver calls it once terminal."""
        with _live_lock:
            _live_jobs.discard(self)


#: Every job not yet terminal. Held strongly: a job whose caller dropped it
#: still runs, and still needs stopping at exit.
_live_jobs: set[Job] = set()
_live_lock = threading.Lock()


def live_jobs() -> list[Job]:
    """The jobs of this process not yet terminal, as a new list, in no order."""
    with _live_lock:
        return list(_live_jobs)


@atexit.register
def _stop_live_jobs() -> None:
    """The last net: stop the jobs still running when the interpreter exits."""
    for job in live_jobs():
        if not job.state.terminal:
            job._close(StopOrigin.EXIT)
