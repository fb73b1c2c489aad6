"""What the kernel knows about one job, and the primitives that change it.

`JobState` holds a job's lifecycle state: the dispatcher's phase (the state
object itself is the dispatcher's `transitions` model), one `Component` per
task instance and per service, the phase counters, the errors, the stop
reasons and the history. Its properties are the guards of the dispatcher
table. Its primitives take one table row on one component (`_fire`), or on
the dispatcher, record a no-op, or record an error; each records the history
entry that goes with it, so no change escapes the history.

`lifecycle.kernel.Kernel` adds the rules: which event moves what, in which
order. Keep this module free of rules and that one free of bookkeeping.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from lifecycle import events as ev
from lifecycle.components import (
    ROLES,
    TASK_ROLES,
    Component,
    JobError,
    Outcome,
    Role,
    Tally,
    build_components,
)
from lifecycle.errors import LifecycleError, describe
from lifecycle.events import StopOrigin, StopReason
from lifecycle.history import History
from lifecycle.machines import trigger
from lifecycle.phases import TERMINAL, UNSTARTED, WORKING, Kind, Phase
from lifecycle.specs import JobSpec

DISPATCHER = "dispatcher"


class JobState:
    """The lifecycle state of one job; `Kernel` is the code that changes it.

    Args:
        spec: the job, as validated by `lifecycle.specs.job_spec`.
        clock: returns the time recorded in the history.
        check: check the invariants after every event (on in tests).
    """

    def __init__(
        self,
        spec: JobSpec,
        *,
        clock: Callable[[], float] = time.time,
        check: bool = False,
    ) -> None:
        self.spec = spec
        self.job = spec.name
        self.autostop = spec.autostop
        #: The dispatcher's phase; transitions writes it.
        self.state = Phase.CREATED
        #: Dispatcher phases entered, with the time of entry, oldest first.
        self.entered: list[tuple[Phase, float]] = []
        built = build_components(spec)
        self.components = {component.name: component for component in built}
        self.services = [c for c in built if c.kind is Kind.SERVICE]
        self.tasks = [c for c in built if c.kind is Kind.TASK]
        self.tally = Tally()
        for component in built:
            self.tally.add(component.role)
        #: Errors in the order they happened; the first is the job's error.
        self.errors: list[JobError] = []
        self.history = History(spec.name, clock)
        self.outcome: Outcome | None = None
        #: Why the dispatcher left RUNNING (or STARTING); None until it did.
        self.stop_reason: StopReason | None = None
        #: The first stop asked (by a user, a close, an interrupt), if any.
        self.stop_request: StopReason | None = None
        #: True when that stop came before the work finished.
        self.cancelled = False
        #: True once the tasks were told to stop at once.
        self.forced = False
        #: True once a deadline bounds the tasks' drain (a stop or a failure).
        self.drain_bounded = False
        #: How many events were handled; the number of the current one.
        self.events_handled = 0
        self._check = check
        self._commands: list[ev.Command] = []

    # -- Guards of the dispatcher table ----------------------------------------

    @property
    def all_started(self) -> bool:
        """No component is still CREATED or STARTING."""
        return self.tally.count(ROLES, UNSTARTED) == 0

    @property
    def stop_asked(self) -> bool:
        """A stop was asked by a user, a close, an interrupt or a deadline."""
        return self.stop_request is not None

    @property
    def must_stop(self) -> bool:
        """A stop was asked or an error was recorded."""
        return self.stop_asked or bool(self.errors)

    @property
    def input_ended(self) -> bool:
        """Every source has left RUNNING."""
        return self.tally.count((Role.SOURCE,), (*UNSTARTED, Phase.RUNNING)) == 0

    @property
    def tasks_stopped(self) -> bool:
        """Every task is STOPPED or beyond."""
        return self.tally.count(TASK_ROLES, WORKING) == 0

    @property
    def tasks_done(self) -> bool:
        """Every task is terminal: its cleanup returned or was given up on."""
        return self.tally.count(TASK_ROLES, TERMINAL) == len(self.tasks)

    @property
    def teardown_wanted(self) -> bool:
        """Autostop is on, a stop was asked, or the work failed."""
        return self.autostop or self.must_stop

    @property
    def all_cleaned(self) -> bool:
        """Every component is CLEANED."""
        return self.tally.count(ROLES, (Phase.CLEANED,)) == len(self.components)

    @property
    def some_failed(self) -> bool:
        """Every component is terminal, and at least one is FAILED."""
        failed = self.tally.count(ROLES, (Phase.FAILED,))
        cleaned = self.tally.count(ROLES, (Phase.CLEANED,))
        return failed > 0 and failed + cleaned == len(self.components)

    # -- Looking up, recording --------------------------------------------------

    def component(self, name: str) -> Component:
        """The component called `name`.

        Raises:
            LifecycleError: no component of this job has that name.
        """
        try:
            return self.components[name]
        except KeyError:
            raise LifecycleError(
                f"job {self.job!r} has no task or service named {name!r}"
            ) from None

    def _record_error(self, component: Component, error: BaseException) -> None:
        """Keep `error` after the earlier ones; the first also names the stop."""
        self.errors.append(
            JobError(
                component.name,
                component.kind,
                component.state,
                error,
                self.events_handled,
            )
        )
        if component.error is None:
            component.error = error
        if self.stop_reason is None:
            self.stop_reason = self._failure_reason()

    def _failure_reason(self) -> StopReason:
        first = self.errors[0]
        text = describe(first.error)
        return StopReason(StopOrigin.FAILURE, text, first.component)

    def _fire(self, component: Component, event: str, detail: str = "") -> None:
        """Take `event`'s row on `component`, count it and record it."""
        source = component.state
        trigger(component.kind, event, component)
        dest = component.state
        self.tally.move(component.role, source, dest)
        now = self.history.record(
            component.name, component.kind, event, source, dest, detail,
            self.events_handled,
        )  # fmt: skip
        component.entered.append((dest, now))

    def _fire_dispatcher(self, event: str, detail: str = "") -> None:
        """Take `event`'s row on the dispatcher and record it."""
        source = self.state
        trigger(Kind.DISPATCHER, event, self)
        now = self.history.record(
            DISPATCHER, Kind.DISPATCHER, event, source, self.state, detail,
            self.events_handled,
        )  # fmt: skip
        self.entered.append((self.state, now))

    def _note(self, component: Component, event: str, detail: str) -> None:
        """Record an event that changes nothing on `component` (a no-op)."""
        phase = component.state
        self.history.record(
            component.name, component.kind, event, phase, phase, detail,
            self.events_handled, noop=True,
        )  # fmt: skip

    def _note_dispatcher(self, event: str, detail: str) -> None:
        """Record an event that changes nothing on the dispatcher (a no-op)."""
        phase = self.state
        self.history.record(
            DISPATCHER, Kind.DISPATCHER, event, phase, phase, detail,
            self.events_handled, noop=True,
        )  # fmt: skip
