"""The pure lifecycle kernel: events in, commands out, no I/O.

Theory of operation
-------------------
A `Kernel` holds the whole lifecycle state of one job (its `JobState`: the
phase of its dispatcher, one `Component` per task instance and per service,
the errors, and the history) and is the only code that changes it.
`Kernel.handle(event)` applies one event and returns the commands the runtime
must run next. It starts no thread, reads no clock but the one it is given,
and calls no user code, so tests drive it deterministically.

One call of `handle` does three things, in order:

1. The event moves the component it is about along its table. An event the
   table does not allow raises `InvalidTransition` before anything changes.
2. The phase a component enters decides what moves next (`_move`): a
   service reaching RUNNING starts the services waiting for it; a component
   reaching STOPPED is cleaned; a service becoming terminal lets the services
   it needs stop, in reverse dependency order.
3. The dispatcher takes every guarded row of its table whose guard holds, in
   table order, until none does. Entering STOPPING cancels what never started
   and stops the sources; entering CLEANING stops the services nobody uses.

Guards read counters (`Tally`), never scan the components, so an event costs
the same in a job of ten tasks or of ten thousand.

Every stop of the work has a deadline: a stop asked, or the first error while
tasks still work, arms the drain deadline (`ArmDrainDeadline`); when it runs
out the tasks are forced, and a forced task that does not end within its
`stop_timeout` is abandoned.

Late and duplicate events are not errors. A second stop is a recorded no-op
(if it carries a drain deadline, that deadline is armed too: the earliest
wins), and so is a report from a component whose thread was abandoned. A
deadline for a phase the component has already left is dropped unrecorded:
the runtime arms deadlines and never cancels them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from lifecycle import events as ev
from lifecycle.components import Component, Outcome, Role
from lifecycle.errors import InvalidTransition, describe
from lifecycle.events import StopOrigin, StopReason
from lifecycle.jobstate import DISPATCHER, JobState
from lifecycle.phases import (
    DISPATCHER_TABLE,
    TABLES,
    Kind,
    Phase,
    automatic_rows,
    events_of,
)

_ALLOWED = {kind: events_of(table) for kind, table in TABLES.items()}
_AUTOMATIC = automatic_rows(DISPATCHER_TABLE)
_ORDER = {phase: index for index, phase in enumerate(Phase)}

#: The table event each runtime report takes on its component.
_REPORTS: dict[type, str] = {
    ev.Started: "started",
    ev.StartFailed: "setup_failed",
    ev.InputEnded: "input_ended",
    ev.Drained: "drained",
    ev.TaskFailed: "task_failed",
    ev.Stopped: "stopped",
    ev.StopFailed: "stop_failed",
    ev.Cleaned: "cleaned",
    ev.CleanupFailed: "cleanup_failed",
}


class Kernel(JobState):
    """The rules of a job's lifecycle: which event moves what, in which order.

    Build it like its `JobState`: `Kernel(spec, clock=..., check=...)`.
    """

    # -- Applying events --------------------------------------------------------

    def handle(self, event: ev.Event) -> list[ev.Command]:
        """Apply one event; return the commands the runtime must run next.

        Raises:
            InvalidTransition: the event is not allowed in the phase its
                component is in. Nothing changed.
        """
        self.events_handled += 1
        self._commands = []
        self._HANDLERS[type(event)](self, event)
        self._advance_dispatcher()
        self._bound_drain_after_failure()
        if self._check:
            from lifecycle.invariants import check_kernel

            check_kernel(self)
        return self._commands

    def _on_submit(self, event: ev.Submit) -> None:
        if self.state is not Phase.CREATED:
            raise InvalidTransition(
                DISPATCHER, Kind.DISPATCHER, self.state, "submit", {Phase.CREATED}
            )
        self._fire_dispatcher("submit", f"autostop={self.autostop}")
        if self.must_stop:
            return
        for service in self.services:
            if service.waiting_for == 0:
                self._start(service)
        if not self.services:
            self._start_tasks()

    def _on_report(self, event: ev.Event) -> None:
        """A runtime's report of what a component did: move it along its table."""
        name = _REPORTS[type(event)]
        component = self._reported(event.name, name)  # type: ignore[union-attr]
        if component is None:
            return
        error = getattr(event, "error", None)
        if error is not None:
            self._record_error(component, error)
        if isinstance(event, ev.Started):
            component.set_up = component.ran = True
        elif isinstance(event, ev.StartFailed):
            component.set_up = event.set_up
        self._move(component, name, _detail(event))

    def _reported(self, name: str, event: str) -> Component | None:
        """The component a report is about, or None if the report is a no-op.

        Raises:
            InvalidTransition: its table does not allow the event now.
        """
        component = self.component(name)
        if component.abandoned:
            self._note(component, event, "late report from an abandoned thread")
            return None
        if event == "input_ended" and component.state is Phase.STOPPING:
            self._note(component, event, "already stopping")
            return None
        allowed = _ALLOWED[component.kind].get(event, frozenset())
        if component.state not in allowed:
            raise InvalidTransition(
                name, component.kind, component.state, event, allowed
            )
        return component

    def _on_overran(self, event: ev.Overran) -> None:
        component = self.component(event.name)
        if component.state is not event.phase or component.abandoned:
            return  # the deadline of a phase already left: nothing to do
        error = TimeoutError(
            f"{component.kind} {component.name!r} overran its {event.timeout:g} s "
            f"deadline while {event.phase.name}; its thread was abandoned"
        )
        self._record_error(component, error)
        component.abandoned = True
        self._commands.append(ev.Abandon(component.name))
        self._move(component, "overran", str(error))

    def _on_stop_requested(self, event: ev.StopRequested) -> None:
        timeout = event.drain_timeout
        if self.state.terminal or self.stop_asked:
            if self.state.terminal:
                why = "ignored: job already terminal"
            elif timeout is not None and not (self.tasks_stopped or self.forced):
                self._bound_drain(timeout)  # the earliest deadline wins
                why = f"duplicate stop; drain deadline {timeout:g} s armed"
            else:
                why = "ignored: duplicate stop"
            self._note_dispatcher("stop", f"{event.reason}; {why}")
            return
        self._ask_stop(event.reason)
        if self.state in (Phase.STOPPING, Phase.CLEANING):
            self._note_dispatcher("stop", f"{event.reason}; already {self.state.name}")
        if not self.tasks_stopped:
            self._bound_drain(self.spec.drain_timeout if timeout is None else timeout)

    def _on_force_stop(self, event: ev.ForceStop) -> None:
        if self.state.terminal or self.forced or self.tasks_stopped:
            self._note_dispatcher("force_stop", f"{event.reason}; no task to force")
            return
        self._force(event.reason)

    def _on_drain_overran(self, event: ev.DrainOverran) -> None:
        if self.forced or self.tasks_stopped or self.state.terminal:
            return  # the tasks drained in time
        text = f"tasks did not drain within {event.timeout:g} s"
        self._force(StopReason(StopOrigin.TIMEOUT, text))

    _HANDLERS: ClassVar[dict[type, Callable[[Kernel, ev.Event], None]]] = {
        ev.Submit: _on_submit,
        **dict.fromkeys(_REPORTS, _on_report),
        ev.Overran: _on_overran,
        ev.StopRequested: _on_stop_requested,
        ev.ForceStop: _on_force_stop,
        ev.DrainOverran: _on_drain_overran,
    }

    # -- What entering a phase moves next ---------------------------------------

    def _move(self, component: Component, event: str, detail: str = "") -> None:
        """Take `event` on `component`, then what the phase it entered implies."""
        self._fire(component, event, detail)
        phase = component.state
        if phase is Phase.RUNNING:
            if component.kind is Kind.SERVICE:
                self._service_running(component)
            else:
                self._task_running(component)
        elif phase is Phase.STOPPED:
            self._move(component, "clean")
        elif phase is Phase.CLEANING:
            component.cleanups += 1
            self._commands.append(ev.Cleanup(component.name, component.stop_timeout))
        elif phase.terminal:
            if component.kind is Kind.TASK and self.tasks_done:
                for service in self.services:
                    self._stop_if_unused(service)
            for name in component.depends_on:
                needed = self.components[name]
                needed.users_alive -= 1
                self._stop_if_unused(needed)

    def _start(self, component: Component) -> None:
        self._fire(component, "start")
        command = ev.StartService if component.kind is Kind.SERVICE else ev.StartTask
        self._commands.append(command(component.name, component.start_timeout))

    def _start_tasks(self) -> None:
        for task in self.tasks:
            self._start(task)

    def _service_running(self, service: Component) -> None:
        for name in service.dependents:
            self.components[name].waiting_for -= 1
        if self.state is Phase.STARTING and not self.must_stop:
            for name in service.dependents:
                user = self.components[name]
                if user.waiting_for == 0 and user.state is Phase.CREATED:
                    self._start(user)
            if self.tally.count((Role.SERVICE,), (Phase.RUNNING,)) == len(
                self.services
            ):
                self._start_tasks()
        self._stop_if_unused(service)

    def _task_running(self, task: Component) -> None:
        if self.forced:
            self._force_task(task)
        elif task.role is Role.SOURCE and _ORDER[self.state] > _ORDER[Phase.RUNNING]:
            self._commands.append(ev.StopSource(task.name))

    def _stop_if_unused(self, service: Component) -> None:
        """Stop a RUNNING service during teardown once nothing needs it.

        Nothing needs it once every service that depends on it is terminal and
        every task is: a task's cleanup may still call services.
        """
        if (
            self.state is Phase.CLEANING
            and service.state is Phase.RUNNING
            and service.users_alive == 0
            and self.tasks_done
        ):
            self._fire(service, "stop")
            self._commands.append(ev.StopService(service.name, service.stop_timeout))

    def _ask_stop(self, reason: StopReason) -> None:
        self.stop_request = reason
        if _ORDER[self.state] < _ORDER[Phase.STOPPED]:
            self.cancelled = True
            self.stop_reason = self.stop_reason or reason

    def _force(self, reason: StopReason) -> None:
        if not self.stop_asked:
            self._ask_stop(reason)
        self.forced = True
        self._note_dispatcher("force_stop", str(reason))
        for task in self.tasks:
            if task.state in (Phase.RUNNING, Phase.STOPPING):
                self._force_task(task)

    def _bound_drain(self, timeout: float) -> None:
        self.drain_bounded = True
        self._commands.append(ev.ArmDrainDeadline(timeout))

    def _bound_drain_after_failure(self) -> None:
        """A failure stops the job like a stop does: with a drain deadline."""
        if self.errors and not (
            self.drain_bounded or self.tasks_stopped or self.state.terminal
        ):
            self._bound_drain(self.spec.drain_timeout)

    def _force_task(self, task: Component) -> None:
        if task.state is Phase.RUNNING:
            self._fire(task, "force_stop", "forced: queued items are dropped")
        self._commands.append(ev.ForceStopTask(task.name, task.stop_timeout))

    # -- The dispatcher ---------------------------------------------------------

    def _advance_dispatcher(self) -> None:
        """Take guarded dispatcher rows, in table order, while one holds."""
        moved = True
        while moved:
            moved = False
            for row in _AUTOMATIC.get(self.state, ()):
                if row.guard is not None and row.guard.holds(self):
                    self._fire_dispatcher(row.event, self._why(row.event))
                    self._dispatcher_entered(self.state)
                    moved = True
                    break

    def _why(self, event: str) -> str:
        """The detail recorded with a dispatcher row: why it was taken."""
        if event == "drain":
            self.stop_reason = StopReason(StopOrigin.INPUT_ENDED)
        if event in ("stop", "drain"):
            return str(self.stop_reason)
        if event == "teardown":
            if self.errors:
                return str(self._failure_reason())
            return str(self.stop_request) if self.stop_request else "autostop"
        if event == "cleanup_failed":
            components = self.components.values()
            failed = [c.name for c in components if c.state is Phase.FAILED]
            return "could not clean: " + ", ".join(failed)
        return ""

    def _dispatcher_entered(self, phase: Phase) -> None:
        if phase is Phase.STOPPING:
            for component in self.components.values():
                if component.state is Phase.CREATED:
                    self._move(component, "cancel", "never started: job stopping")
            if self.must_stop:
                for task in self.tasks:
                    if task.role is Role.SOURCE and task.state is Phase.RUNNING:
                        self._commands.append(ev.StopSource(task.name))
        elif phase is Phase.CLEANING:
            for service in self.services:
                self._stop_if_unused(service)
        elif phase.terminal:
            self.outcome = (
                Outcome.FAILED
                if self.errors
                else Outcome.CANCELLED
                if self.cancelled
                else Outcome.SUCCEEDED
            )


def _detail(event: ev.Event) -> str:
    """The detail recorded with the transition a report causes."""
    error = getattr(event, "error", None)
    if error is not None:
        return describe(error)
    if isinstance(event, ev.InputEnded):
        return event.detail
    if isinstance(event, ev.Drained) and event.dropped:
        return f"dropped {event.dropped} queued items"
    return ""
