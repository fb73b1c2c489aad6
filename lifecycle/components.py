"""What the kernel keeps about each component, and how a job ended."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field

from lifecycle.phases import Kind, Phase
from lifecycle.specs import JobSpec, dependents_of


class Role(enum.Enum):
    """A component's part in the job; the kernel counts phases per role."""

    SOURCE = "source"
    OPERATOR = "operator"
    SERVICE = "service"

    __hash__ = object.__hash__  # as for `Phase`: the kernel counts by role

    def __repr__(self) -> str:
        return self.name


TASK_ROLES = (Role.SOURCE, Role.OPERATOR)
ROLES = tuple(Role)


class Outcome(enum.Enum):
    """How a job's work ended; set when its dispatcher becomes terminal."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    def __repr__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class JobError:
    """An error a component raised (or a deadline it overran), where and when.

    Attributes:
        component: the component's name.
        kind: task or service.
        phase: the phase it was in when the error happened.
        error: the exception.
        cause: the number of the kernel event that reported it.
    """

    component: str
    kind: Kind
    phase: Phase
    error: BaseException
    cause: int


@dataclass(slots=True, eq=False)
class Component:
    """The kernel's record of one task or service; a `transitions` model.

    Only the kernel writes these fields; runtimes and views read them.
    """

    name: str
    kind: Kind
    role: Role
    start_timeout: float
    stop_timeout: float
    #: Services this service needs; empty for tasks.
    depends_on: tuple[str, ...] = ()
    #: Services that need this service; empty for tasks.
    dependents: tuple[str, ...] = ()
    #: The current phase. transitions writes it; nothing else does.
    state: Phase = Phase.CREATED
    #: True once `setup()` returned: exactly then does cleanup run.
    set_up: bool = False
    #: True once the component reached RUNNING.
    ran: bool = False
    #: True once a deadline ran out and its thread was given up on.
    abandoned: bool = False
    #: The first error of this component, if any.
    error: BaseException | None = None
    #: How many cleanups were asked of the runtime: 0, or 1 when `set_up`.
    cleanups: int = 0
    #: Services: how many of `depends_on` are not yet RUNNING.
    waiting_for: int = 0
    #: Services: how many of `dependents` are not yet terminal.
    users_alive: int = 0
    #: Phases entered, with the time of entry, oldest first.
    entered: list[tuple[Phase, float]] = field(default_factory=list)


class Tally:
    """How many components of each role are in each phase.

    The dispatcher's guards read these counts instead of scanning the
    components, so checking a guard costs the same in a job of any size.
    Invariant: for every role and phase, the count equals the number of
    components of that role in that phase (checked by `lifecycle.invariants`).
    """

    def __init__(self) -> None:
        self.counts = {role: dict.fromkeys(Phase, 0) for role in Role}

    def add(self, role: Role) -> None:
        self.counts[role][Phase.CREATED] += 1

    def move(self, role: Role, source: Phase, dest: Phase) -> None:
        counts = self.counts[role]
        counts[source] -= 1
        counts[dest] += 1

    def count(self, roles: Iterable[Role], phases: Iterable[Phase]) -> int:
        """How many components of `roles` are in `phases`; pass tuples or sets.

        Plain loops: the dispatcher's guards call this after every event.
        """
        total = 0
        for role in roles:
            counts = self.counts[role]
            for phase in phases:
                total += counts[phase]
        return total


def build_components(spec: JobSpec) -> list[Component]:
    """One component per service and per task instance of `spec`, services first."""
    dependents = dependents_of(spec.services)
    built = [
        Component(
            service.name,
            Kind.SERVICE,
            Role.SERVICE,
            service.start_timeout,
            service.stop_timeout,
            depends_on=service.depends_on,
            dependents=dependents[service.name],
            waiting_for=len(service.depends_on),
            users_alive=len(dependents[service.name]),
        )
        for service in spec.services
    ]
    for task in spec.tasks:
        role = Role.SOURCE if task.source else Role.OPERATOR
        built.append(
            Component(task.name, Kind.TASK, role, task.start_timeout, task.stop_timeout)
        )
    return built
