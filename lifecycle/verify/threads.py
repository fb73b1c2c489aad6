"""One component's thread as its runtime knows it: commands in, reports out.

A `Thread` is immutable; each function here returns the thread as it is after
a command (`accept`) or after a report it sent (`after_report`), or lists the
reports it could send now (`reports`). `lifecycle.verify.simulation` keeps one
per component and adds the clock and the user.

The work of a thread, and what moves it on::

    IDLE --start--> SETTING_UP --Started--> WORKING (task) / SERVING (service)
    WORKING --InputEnded--> DRAINING --Drained or TaskFailed--> DONE
    WORKING or DRAINING --ForceStopTask--> FORCED --Drained or TaskFailed--> DONE
    SERVING --StopService--> STOPPING --Stopped or StopFailed--> DONE
    SETTING_UP --StartFailed--> DONE (setup had returned) or FINISHED
    DONE --Cleanup--> CLEANING --Cleaned or CleanupFailed--> FINISHED
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace

from lifecycle import events as ev
from lifecycle.errors import LifecycleError
from lifecycle.phases import Kind, Phase

SETUP_ERROR = RuntimeError("setup raised")
START_ERROR = RuntimeError("start raised after setup returned")
WORK_ERROR = RuntimeError("work raised")
STOP_ERROR = RuntimeError("stop raised")
CLEANUP_ERROR = RuntimeError("cleanup raised")


class Work(enum.Enum):
    """What a component's thread is doing."""

    IDLE = "not started"
    SETTING_UP = "setting up"
    WORKING = "working"
    DRAINING = "draining"
    FORCED = "forced"
    SERVING = "serving"
    STOPPING = "stopping"
    DONE = "waiting for cleanup"
    CLEANING = "cleaning up"
    FINISHED = "finished"

    def __repr__(self) -> str:
        return self.name


#: The phase the deadline of each timed work guards.
TIMED = {
    Work.SETTING_UP: Phase.STARTING,
    Work.FORCED: Phase.STOPPING,
    Work.STOPPING: Phase.STOPPING,
    Work.CLEANING: Phase.CLEANING,
}

#: Work that waits for a command rather than owing a report.
WAITING = frozenset({Work.IDLE, Work.SERVING, Work.DONE, Work.FINISHED})


@dataclass(frozen=True, slots=True)
class Thread:
    """One component's thread: what it does and what it has reported.

    Attributes:
        work: what the thread is doing now.
        set_up: its setup returned, so exactly one cleanup is owed.
        input_sent: a task reported `InputEnded`.
        abandoned: the kernel gave up on it; whatever it sends is late.
        cleanups: how many `Cleanup` commands it received.
        overdue: the deadline of its current work ran out (it fires once).
        late: reports it may still send after being abandoned, in order.
    """

    name: str
    kind: Kind
    source: bool
    work: Work = Work.IDLE
    set_up: bool = False
    input_sent: bool = False
    abandoned: bool = False
    cleanups: int = 0
    overdue: bool = False
    late: tuple[ev.Event, ...] = ()

    @property
    def owes_report(self) -> bool:
        """It was given work and will report how it went."""
        return not self.abandoned and self.work not in WAITING


class CommandViolation(LifecycleError):
    """The kernel issued a command no correct kernel issues in that state."""

    rule = "commands"


# -- What a thread may report: (normal answers, faults) ------------------------


def reports(thread: Thread) -> tuple[list[ev.Event], list[ev.Event]]:
    """The reports `thread` could send now: normal answers, then faults."""
    name, work = thread.name, thread.work
    if work is Work.SETTING_UP:
        faults: list[ev.Event] = [ev.StartFailed(name, SETUP_ERROR)]
        if thread.kind is Kind.SERVICE:
            faults.append(ev.StartFailed(name, START_ERROR, set_up=True))
        return [ev.Started(name)], faults
    if work is Work.WORKING:
        return [ev.InputEnded(name)], [ev.TaskFailed(name, WORK_ERROR)]
    if work is Work.DRAINING:
        return [ev.Drained(name)], [ev.TaskFailed(name, WORK_ERROR)]
    if work is Work.FORCED:
        faults = [ev.TaskFailed(name, WORK_ERROR)]
        if not thread.input_sent:
            # Its end of input may have been on its way when the force came.
            faults.append(ev.InputEnded(name, "raced with a force"))
        return [ev.Drained(name, dropped=1)], faults
    if work is Work.STOPPING:
        return [ev.Stopped(name)], [ev.StopFailed(name, STOP_ERROR)]
    if work is Work.CLEANING:
        return [ev.Cleaned(name)], [ev.CleanupFailed(name, CLEANUP_ERROR)]
    return [], []


def after_report(thread: Thread, event: ev.Event) -> Thread:
    """The thread once it sent `event` (not abandoned)."""
    if isinstance(event, ev.Started):
        work = Work.SERVING if thread.kind is Kind.SERVICE else Work.WORKING
        return replace(thread, work=work, set_up=True, overdue=False)
    if isinstance(event, ev.StartFailed):
        work = Work.DONE if event.set_up else Work.FINISHED
        return replace(thread, work=work, set_up=event.set_up, overdue=False)
    if isinstance(event, ev.InputEnded):
        if thread.work is Work.FORCED:
            return replace(thread, input_sent=True)
        return replace(thread, work=Work.DRAINING, input_sent=True)
    if isinstance(event, ev.Cleaned | ev.CleanupFailed):
        return replace(thread, work=Work.FINISHED, overdue=False)
    return replace(thread, work=Work.DONE, overdue=False)


# -- How a command changes a thread --------------------------------------------


def accept(thread: Thread, command: ev.Command) -> Thread:
    """The thread once it received `command`.

    Raises:
        CommandViolation: the command makes no sense for the thread now.
    """
    work = thread.work
    if isinstance(command, ev.StartService | ev.StartTask):
        _require(thread, "a second start", work is Work.IDLE)
        return replace(thread, work=Work.SETTING_UP)
    if isinstance(command, ev.StopSource):
        started = work not in (Work.IDLE, Work.SETTING_UP)
        _require(thread, "StopSource", thread.source and started)
        return thread
    if isinstance(command, ev.ForceStopTask):
        _require(thread, "ForceStopTask", work in (Work.WORKING, Work.DRAINING))
        return replace(thread, work=Work.FORCED)
    if isinstance(command, ev.StopService):
        _require(thread, "StopService", work is Work.SERVING)
        return replace(thread, work=Work.STOPPING)
    if isinstance(command, ev.Cleanup):
        ready = work is Work.DONE and thread.set_up
        _require(thread, f"Cleanup number {thread.cleanups + 1}", ready)
        return replace(thread, work=Work.CLEANING, cleanups=thread.cleanups + 1)
    _require(thread, "Abandon", work in TIMED and not thread.abandoned)
    return replace(thread, abandoned=True, late=_late_reports(thread))


def _require(thread: Thread, command: str, holds: bool) -> None:
    if not holds:
        abandoned = " (abandoned)" if thread.abandoned else ""
        raise CommandViolation(
            f"{command} for {thread.kind} {thread.name!r}, which is "
            f"{thread.work.value}{abandoned}"
        )


def _late_reports(thread: Thread) -> tuple[ev.Event, ...]:
    """What an abandoned thread may still send, if it ever comes back."""
    name = thread.name
    if thread.work is Work.SETTING_UP:
        return (ev.Cleaned(name),)  # setup returned late: it releases at once
    if thread.work is Work.FORCED:
        return (ev.Drained(name), ev.Cleaned(name))
    if thread.work is Work.STOPPING:
        return (ev.Stopped(name), ev.Cleaned(name))
    return (ev.Cleaned(name),)
