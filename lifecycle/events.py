"""What the kernel is told (events) and what it asks the runtime to do (commands).

Events come from three places: the runtime reports what a component did
(`Started`, `Drained`, `Cleaned`, ...), a user asks for something
(`StopRequested`, `ForceStop`), and a deadline runs out (`Overran`,
`DrainOverran`). The kernel numbers each event as it arrives; history records
and log lines carry that number as `cause`.

Commands tell the runtime what to run next. A command whose work has a
deadline carries `timeout` and the `phase` the deadline guards: when it runs
out the runtime reports `Overran(name, phase)`, which the kernel ignores if the
component has left that phase in the meantime.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import ClassVar

from lifecycle.phases import Phase


class StopOrigin(enum.Enum):
    """Where a stop came from."""

    INPUT_ENDED = "input ended"
    ASKED = "asked"
    CLOSE = "environment closed"
    INTERRUPT = "interrupt"
    EXIT = "interpreter exit"
    FAILURE = "failure"
    TIMEOUT = "drain timeout"

    def __repr__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class StopReason:
    """Why a job stopped: its origin, an optional text, the component at fault."""

    origin: StopOrigin
    text: str = ""
    component: str | None = None

    def __str__(self) -> str:
        where = f" in {self.component!r}" if self.component else ""
        text = f": {self.text}" if self.text else ""
        return f"{self.origin.value}{where}{text}"


# -- Events -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Submit:
    """The job was submitted: start its services, then its tasks."""


@dataclass(frozen=True, slots=True)
class Started:
    """A component's setup (and a service's `start()`) returned."""

    name: str


@dataclass(frozen=True, slots=True)
class StartFailed:
    """A component's setup or start raised; `set_up` if `setup()` had returned."""

    name: str
    error: BaseException
    set_up: bool = False


@dataclass(frozen=True, slots=True)
class InputEnded:
    """A task's input ended (or its source was told to stop): it is draining."""

    name: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Drained:
    """A task processed its last item and signalled end of input downstream."""

    name: str
    dropped: int = 0


@dataclass(frozen=True, slots=True)
class TaskFailed:
    """A task's work raised; the task has stopped."""

    name: str
    error: BaseException


@dataclass(frozen=True, slots=True)
class Stopped:
    """A service's `stop()` returned."""

    name: str


@dataclass(frozen=True, slots=True)
class StopFailed:
    """A service's `stop()` raised; it is still cleaned up."""

    name: str
    error: BaseException


@dataclass(frozen=True, slots=True)
class Cleaned:
    """A component's `cleanup()` returned."""

    name: str


@dataclass(frozen=True, slots=True)
class CleanupFailed:
    """A component's `cleanup()` raised."""

    name: str
    error: BaseException


@dataclass(frozen=True, slots=True)
class Overran:
    """A component's deadline for `phase` ran out."""

    name: str
    phase: Phase
    timeout: float


@dataclass(frozen=True, slots=True)
class StopRequested:
    """Someone asked the job to stop gracefully, draining within `drain_timeout`.

    `drain_timeout` None means the job's own; 0 forces the tasks at once.
    """

    reason: StopReason
    drain_timeout: float | None = None


@dataclass(frozen=True, slots=True)
class ForceStop:
    """Stop every task now, dropping the items still queued."""

    reason: StopReason


@dataclass(frozen=True, slots=True)
class DrainOverran:
    """The deadline given to a graceful stop ran out."""

    timeout: float


Event = (
    Submit
    | Started
    | StartFailed
    | InputEnded
    | Drained
    | TaskFailed
    | Stopped
    | StopFailed
    | Cleaned
    | CleanupFailed
    | Overran
    | StopRequested
    | ForceStop
    | DrainOverran
)

# -- Commands -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StartService:
    """Construct the service, run `setup()` and `start()` on its own thread."""

    name: str
    timeout: float
    phase: ClassVar[Phase] = Phase.STARTING


@dataclass(frozen=True, slots=True)
class StartTask:
    """Construct the task's function, run its `setup()`, then its work."""

    name: str
    timeout: float
    phase: ClassVar[Phase] = Phase.STARTING


@dataclass(frozen=True, slots=True)
class StopSource:
    """Tell a source to emit no more items and end its output."""

    name: str


@dataclass(frozen=True, slots=True)
class ForceStopTask:
    """Stop a task at once: queued items are dropped and counted."""

    name: str
    timeout: float
    phase: ClassVar[Phase] = Phase.STOPPING


@dataclass(frozen=True, slots=True)
class StopService:
    """Refuse new calls, serve the queued ones, then run the service's `stop()`."""

    name: str
    timeout: float
    phase: ClassVar[Phase] = Phase.STOPPING


@dataclass(frozen=True, slots=True)
class Cleanup:
    """Run the component's `cleanup()` on the thread that ran its setup."""

    name: str
    timeout: float
    phase: ClassVar[Phase] = Phase.CLEANING


@dataclass(frozen=True, slots=True)
class Abandon:
    """Give up on a component's thread: it overran a deadline."""

    name: str


@dataclass(frozen=True, slots=True)
class ArmDrainDeadline:
    """Report `DrainOverran` if the tasks have not drained within `timeout`."""

    timeout: float


Command = (
    StartService
    | StartTask
    | StopSource
    | ForceStopTask
    | StopService
    | Cleanup
    | Abandon
    | ArmDrainDeadline
)

#: Commands whose work has a deadline (they carry `timeout` and `phase`).
TIMED_COMMANDS = (StartService, StartTask, ForceStopTask, StopService, Cleanup)
