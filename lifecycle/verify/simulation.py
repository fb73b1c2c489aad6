"""A model of a runtime: which events it could send, given the commands so far.

Theory of operation
-------------------
The kernel trusts its runtime to report only what happened: a `Started` only
after a `StartService` or `StartTask`, a `Cleaned` only after a `Cleanup`, and
so on. `SimulatedRuntime` is that runtime reduced to its promises. It keeps a
`Thread` per component (`lifecycle.verify.threads`), takes the kernel's
commands (`accept`), and lists the events the threads, the user and the
clock could send next (`moves`). Whoever drives the kernel (the property
tests, the exhaustive checker) picks one of those moves, hands its event to
the kernel and then to `sent`, and feeds the commands back to `accept`.

A move is one of four sorts (`Sort`):

* ANSWER: the normal outcome of a pending command (setup returned, input
  ended, stop returned, cleanup returned). A job ends once every pending
  answer is given.
* FAULT: an abnormal outcome (setup, work, stop or cleanup raised), a deadline
  that runs out while its phase lasts, or a stop or force-stop from the user.
* LATE: an event that must change nothing: a deadline for a phase already
  left, a report from a thread that was abandoned, a stop or force-stop that
  repeats one already taken, anything sent to a terminal job.
* RELEASE: the stop that releases a job parked without autostop; the only
  user event offered when faults are off.

`accept` also checks the commands themselves: a second `Cleanup`, a
`StopService` for a service that is not serving, a start of a component
already started, each raises `CommandViolation`. These are the runtime's view
of rule 2 (cleanup exactly once) and of the order of teardown. `disagreement`
compares the kernel's phases with what the threads are doing, and
`end_problem` says what is wrong with a job that ended.

The model over-approximates the local runtime in one place, on purpose: a
non-source task may end its input at any time (its upstream may have failed,
its downstream may have stopped taking items), so the kernel is checked
against every order in which tasks end, not only the order of the dataflow.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from lifecycle import events as ev
from lifecycle.events import StopOrigin, StopReason
from lifecycle.kernel import Kernel
from lifecycle.phases import Kind, Phase
from lifecycle.specs import JobSpec
from lifecycle.verify.threads import (
    TIMED,
    CommandViolation,
    Thread,
    Work,
    accept,
    after_report,
    reports,
)

USER_STOP = StopReason(StopOrigin.ASKED, "simulated user")
USER_FORCE = StopReason(StopOrigin.INTERRUPT, "simulated second interrupt")
CLOSE = StopReason(StopOrigin.CLOSE, "simulated close")

_WORK = {id(work): number for number, work in enumerate(Work)}

#: What a thread may be doing while the kernel has its component in a phase.
_AGREES = {
    Phase.CREATED: {Work.IDLE},
    Phase.STARTING: {Work.SETTING_UP},
    Phase.RUNNING: {Work.WORKING, Work.SERVING},
    Phase.STOPPING: {Work.DRAINING, Work.FORCED, Work.STOPPING},
    Phase.STOPPED: set(),
    Phase.CLEANING: {Work.CLEANING},
    Phase.CLEANED: {Work.IDLE, Work.FINISHED},
    Phase.FAILED: {Work.FINISHED},
}


class Sort(enum.Enum):
    """Which kind of move an event is; see the module's docstring."""

    ANSWER = "answer"
    FAULT = "fault"
    LATE = "late"
    RELEASE = "release"

    def __repr__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class Move:
    """One event the runtime, the user or the clock could send now."""

    event: ev.Event
    sort: Sort


@dataclass
class SimulatedRuntime:
    """The promises of a runtime for one job, driven by the kernel's commands.

    Args:
        spec: the job the kernel runs.
        faults: offer FAULT moves besides the normal answers.
    """

    spec: JobSpec
    faults: bool = True
    threads: dict[str, Thread] = field(default_factory=dict)
    #: Deadlines armed for phases their component has left: they fire late.
    late_deadlines: set[tuple[str, Phase]] = field(default_factory=set)
    #: A drain deadline was armed and has not fired.
    drain_armed: bool = False
    stops: int = 0
    forces: int = 0

    def __post_init__(self) -> None:
        if not self.threads:
            for service in self.spec.services:
                self.threads[service.name] = Thread(service.name, Kind.SERVICE, False)
            for task in self.spec.tasks:
                self.threads[task.name] = Thread(task.name, Kind.TASK, task.source)

    def fork(self) -> SimulatedRuntime:
        """An independent copy (threads are immutable and shared)."""
        return replace(
            self, threads=dict(self.threads), late_deadlines=set(self.late_deadlines)
        )

    def key(self) -> tuple[int, ...]:
        """What decides the moves to come, as small integers; late ones aside."""
        key = [self.drain_armed, self.stops > 0, self.forces > 0]
        for t in self.threads.values():
            key += (
                _WORK[id(t.work)],
                t.set_up,
                t.input_sent,
                t.abandoned,
                t.cleanups,
                t.overdue,
            )
        return tuple(map(int, key))

    # -- Commands and events ---------------------------------------------------

    def accept(self, commands: Iterable[ev.Command]) -> None:
        """Take the commands the kernel just issued.

        Raises:
            CommandViolation: a command makes no sense for its component now.
        """
        for command in commands:
            if isinstance(command, ev.ArmDrainDeadline):
                self.drain_armed = True
                continue
            name = command.name
            if name not in self.threads:
                raise CommandViolation(f"{command!r} names no component of the job")
            self.threads[name] = accept(self.threads[name], command)

    def sent(self, event: ev.Event) -> None:
        """Record that `event` was handed to the kernel."""
        if isinstance(event, ev.StopRequested):
            self.stops += 1
        elif isinstance(event, ev.ForceStop):
            self.forces += 1
        elif isinstance(event, ev.DrainOverran):
            self.drain_armed = False
        elif isinstance(event, ev.Overran):
            self._deadline_fired(event)
        elif not isinstance(event, ev.Submit):
            self._report_sent(event)

    def _report_sent(self, event: ev.Event) -> None:
        thread = self.threads[event.name]  # type: ignore[union-attr]
        if thread.abandoned:
            self.threads[thread.name] = replace(thread, late=thread.late[1:])
            return
        after = after_report(thread, event)
        left = after.work is not thread.work
        if thread.work in TIMED and left and not thread.overdue:
            self.late_deadlines.add((thread.name, TIMED[thread.work]))
        self.threads[thread.name] = after

    def _deadline_fired(self, event: ev.Overran) -> None:
        thread = self.threads[event.name]
        if TIMED.get(thread.work) is event.phase and not thread.abandoned:
            self.threads[thread.name] = replace(thread, overdue=True)
        else:
            self.late_deadlines.discard((event.name, event.phase))

    # -- Moves -----------------------------------------------------------------

    def pending(self) -> list[str]:
        """Components that owe a report on a command, abandoned ones aside."""
        return [t.name for t in self.threads.values() if t.owes_report]

    def moves(self, dispatcher: Phase, *, parked: bool = False) -> list[Move]:
        """Every event that could be sent next, in a stable order.

        Args:
            dispatcher: the dispatcher's phase. A terminal job gets LATE moves
                only: a real runtime no longer applies events to it, but the
                kernel must still take them as no-ops.
            parked: the job waits in STOPPED for a stop (autostop off).
        """
        found: list[Move] = []
        for thread in self.threads.values():
            found.extend(self._thread_moves(thread))
        found.extend(self._clock_moves())
        found.extend(self._user_moves(parked))
        if not dispatcher.terminal:
            return found
        late = [move for move in found if move.sort is Sort.LATE]
        if self.faults:
            late.extend(Move(m.event, Sort.LATE) for m in self._user_moves(False))
        return list(dict.fromkeys(late))

    def _thread_moves(self, thread: Thread) -> list[Move]:
        if thread.abandoned:
            return [Move(thread.late[0], Sort.LATE)] if thread.late else []
        answers, faults = reports(thread)
        moves = [Move(event, Sort.ANSWER) for event in answers]
        if self.faults:
            moves.extend(Move(event, Sort.FAULT) for event in faults)
        return moves

    def _clock_moves(self) -> list[Move]:
        if not self.faults:
            return []
        moves = [
            Move(ev.Overran(t.name, TIMED[t.work], 1.0), Sort.FAULT)
            for t in self.threads.values()
            if t.work in TIMED and not (t.abandoned or t.overdue)
        ]
        moves.extend(
            Move(ev.Overran(name, phase, 1.0), Sort.LATE)
            for name, phase in sorted(self.late_deadlines, key=str)
        )
        if self.drain_armed:
            moves.append(Move(ev.DrainOverran(1.0), Sort.FAULT))
        return moves

    def _user_moves(self, parked: bool) -> list[Move]:
        if not self.faults:
            release = parked and not self.stops
            return [Move(ev.StopRequested(CLOSE), Sort.RELEASE)] if release else []
        stop = Sort.LATE if self.stops else Sort.FAULT
        force = Sort.LATE if self.forces else Sort.FAULT
        return [
            Move(ev.StopRequested(USER_STOP, 1.0), stop),
            Move(ev.ForceStop(USER_FORCE), force),
        ]

    # -- Checks against the kernel ---------------------------------------------

    def disagreement(self, kernel: Kernel) -> str | None:
        """How the kernel's phases contradict what the threads do, if they do."""
        for name, thread in self.threads.items():
            phase = kernel.components[name].state
            if thread.abandoned:
                agrees = phase is Phase.FAILED
            else:
                agrees = thread.work in _AGREES[phase]
            if not agrees:
                return (
                    f"the kernel has {thread.kind} {name!r} {phase.name} while "
                    f"its thread is {thread.work.value}"
                    f"{' (abandoned)' if thread.abandoned else ''}"
                )
        return None

    def end_problem(self, kernel: Kernel) -> str | None:
        """What is wrong with the job if it is terminal, or if nothing is owed.

        Once nothing is owed, the job must be terminal, or parked (autostop
        off, no stop asked, no error). A terminal job owes nothing, left no
        service serving, and cleaned every component whose setup returned
        exactly once (abandoned ones aside).
        """
        owed = self.pending()
        if not kernel.state.terminal:
            if owed or self.drain_armed or parked(kernel):
                return None
            return f"nothing is left to happen, yet the job is {kernel.state.name}"
        if owed:
            return f"the job ended while {owed} still had work to report on"
        serving = [t.name for t in self.threads.values() if t.work is Work.SERVING]
        if serving:
            return f"the job ended with services {serving} never stopped"
        unclean = [
            f"{t.name!r} ({t.cleanups})"
            for t in self.threads.values()
            if t.set_up and not t.abandoned and t.cleanups != 1
        ]
        if unclean:
            return f"set up but not cleaned exactly once: {', '.join(unclean)}"
        return None


def parked(kernel: Kernel) -> bool:
    """The job waits in STOPPED, services running, for a stop (autostop off).

    Read from the spec and the stop and errors recorded, not from the
    kernel's own teardown guard, so that a broken guard is not excused.
    """
    return (
        kernel.state is Phase.STOPPED
        and not kernel.spec.autostop
        and not kernel.must_stop
    )
