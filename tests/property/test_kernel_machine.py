"""Random interleavings of every event a runtime, a user and a clock can send.

The state machine drives a pure kernel through `Harness`, which checks on
every event the kernel's invariants, the commands it issues, and its history.
Hypothesis picks the job (1 to 6 tasks, 0 to 4 services with random acyclic
`depends_on`, autostop on or off) and then, step by step, which pending
command to answer and how, which fault or stop to inject, and which late,
duplicate or illegal event to send. At the end every pending command is
answered normally and the job must be terminal with everything cleaned once.
"""

from __future__ import annotations

from typing import ClassVar

from hypothesis import event
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from lifecycle import events as ev
from lifecycle.errors import InvalidTransition, LifecycleError
from lifecycle.invariants import check_kernel
from lifecycle.phases import TABLES, events_of
from lifecycle.specs import JobSpec
from lifecycle.testing import job_specs
from lifecycle.verify.harness import Harness
from lifecycle.verify.simulation import CLOSE, USER_FORCE, USER_STOP, Move, Sort
from lifecycle.verify.state import only_deadlines
from lifecycle.verify.threads import CLEANUP_ERROR, WORK_ERROR

#: Every report a runtime can send, by the table event it takes.
REPORTS = {
    "started": lambda name: ev.Started(name),
    "setup_failed": lambda name: ev.StartFailed(name, RuntimeError("setup")),
    "input_ended": lambda name: ev.InputEnded(name),
    "drained": lambda name: ev.Drained(name),
    "task_failed": lambda name: ev.TaskFailed(name, WORK_ERROR),
    "stopped": lambda name: ev.Stopped(name),
    "stop_failed": lambda name: ev.StopFailed(name, RuntimeError("stop")),
    "cleaned": lambda name: ev.Cleaned(name),
    "cleanup_failed": lambda name: ev.CleanupFailed(name, CLEANUP_ERROR),
}
ALLOWED = {kind: events_of(table) for kind, table in TABLES.items()}
#: More steps than any job here needs to end once nothing fails.
MAX_DRAIN_STEPS = 500


class KernelMachine(RuleBasedStateMachine):
    """One job's kernel, with a runtime that answers in any order it can."""

    harness: Harness
    #: How many jobs (examples) this class has run, for the seeded-bug figures.
    jobs_run: ClassVar[int] = 0

    @initialize(spec=job_specs(), budget=st.integers(0, 8))
    def submit(self, spec: JobSpec, budget: int) -> None:
        """Submit the job; `budget` caps the faults this run may inject."""
        type(self).jobs_run += 1
        self.broken = True
        self.harness = Harness.submitted(spec, faults=True)
        self.budget = budget
        self.broken = False

    def _moves(self, sort: Sort) -> list[Move]:
        return [move for move in self.harness.moves() if move.sort is sort]

    def _send(self, event: ev.Event) -> list[ev.Command]:
        self.broken = True
        commands = self.harness.apply(event)
        self.broken = False
        return commands

    @precondition(lambda self: self._moves(Sort.ANSWER))
    @rule(data=st.data())
    def answer(self, data: st.DataObject) -> None:
        """A pending command completes normally, whichever one."""
        move = data.draw(st.sampled_from(self._moves(Sort.ANSWER)), label="answer")
        self._send(move.event)

    @precondition(lambda self: self.budget > 0 and self._moves(Sort.FAULT))
    @rule(data=st.data())
    def fault(self, data: st.DataObject) -> None:
        """Something goes wrong: a raise, an overrun, a stop or a force-stop."""
        move = data.draw(st.sampled_from(self._moves(Sort.FAULT)), label="fault")
        self.budget -= 1
        self._send(move.event)

    @rule(data=st.data())
    def late(self, data: st.DataObject) -> None:
        """A late or repeated event changes nothing and issues no work."""
        moves = self._moves(Sort.LATE)
        if moves:
            move = data.draw(st.sampled_from(moves), label="late")
            self._send_late(move.event)

    def _send_late(self, event: ev.Event) -> None:
        before = self.harness.kernel_key()
        assert only_deadlines(self._send(event))
        assert self.harness.kernel_key() == before

    @rule(forced=st.booleans())
    def stop(self, forced: bool) -> None:
        """A user stops the job (or forces it) at any time, maybe again."""
        runtime = self.harness.runtime
        event = ev.ForceStop(USER_FORCE) if forced else ev.StopRequested(USER_STOP)
        again = runtime.forces if forced else runtime.stops
        if again or self.harness.kernel.state.terminal:
            self._send_late(event)
        else:
            self._send(event)

    @rule(data=st.data())
    def illegal(self, data: st.DataObject) -> None:
        """A report its table refuses raises InvalidTransition; nothing changes."""
        kernel = self.harness.kernel
        name = data.draw(st.sampled_from(sorted(kernel.components)), label="to")
        component = kernel.components[name]
        refused = sorted(
            event
            for event in REPORTS
            if component.state not in ALLOWED[component.kind].get(event, ())
        )
        if component.abandoned or not refused:
            return
        event = REPORTS[data.draw(st.sampled_from(refused), label="illegal")](name)
        if isinstance(event, ev.InputEnded) and component.state.name == "STOPPING":
            return  # a recorded no-op: the end of input raced with a force
        before = (self.harness.kernel_key(), len(kernel.history))
        try:
            kernel.handle(event)
        except InvalidTransition as error:
            assert error.component == name and error.phase is component.state
        else:
            raise AssertionError(f"{event} was taken in {component.state.name}")
        assert (self.harness.kernel_key(), len(kernel.history)) == before

    @rule()
    def unknown_component(self) -> None:
        """A report about a component the job lacks is refused; nothing changes."""
        before = self.harness.kernel_key()
        try:
            self.harness.kernel.handle(ev.Started("no-such-component"))
        except LifecycleError as error:
            assert "no-such-component" in str(error)
        assert self.harness.kernel_key() == before

    @invariant()
    def rules_hold(self) -> None:
        """The kernel's rules hold, and it agrees with the runtime."""
        if getattr(self, "harness", None) is None:
            return
        check_kernel(self.harness.kernel)
        self.harness.check()

    def teardown(self) -> None:
        """Answer everything normally: the job must end, everything cleaned once."""
        if getattr(self, "harness", None) is None or self.broken:
            return
        for _ in range(MAX_DRAIN_STEPS):
            if self.harness.kernel.state.terminal:
                break
            answers = self._moves(Sort.ANSWER)
            if answers:
                self._send(answers[0].event)
            elif self.harness.parked:
                self._send(ev.StopRequested(CLOSE))
            else:
                self.harness.check()
                raise AssertionError("the job cannot go on and is not terminal")
        kernel = self.harness.kernel
        assert kernel.state.terminal
        self.harness.check()
        event(f"outcome {kernel.outcome.name}, dispatcher {kernel.state.name}")
        event(f"abandoned: {any(c.abandoned for c in kernel.components.values())}")
        event(f"forced: {kernel.forced}; autostop: {kernel.autostop}")


TestKernelMachine = KernelMachine.TestCase
TestKernelMachine.__doc__ = "Every random interleaving keeps every rule and ends."
