"""The exceptions lifecycle raises. `LifecycleError` is the base of all of them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from lifecycle.phases import Phase

if TYPE_CHECKING:
    from lifecycle.job import Job
    from lifecycle.phases import Kind


class LifecycleError(Exception):
    """Base class of every error lifecycle raises."""


def describe(error: BaseException) -> str:
    """`repr(error)`, or a stand-in naming its type if that `repr` raises.

    User code supplies the errors lifecycle records; a broken `__repr__`
    must not stop the kernel from recording them.
    """
    try:
        return repr(error)
    except Exception:
        return f"<{type(error).__name__} whose repr() raised>"


class ConfigError(LifecycleError, ValueError):
    """A job or environment was configured wrongly; nothing was started.

    Attributes:
        component: the service or operator at fault, if one is.
        field: the setting at fault, if one is.
    """

    def __init__(
        self, message: str, *, component: str | None = None, field: str | None = None
    ) -> None:
        super().__init__(message)
        self.component = component
        self.field = field


class InvalidTransition(LifecycleError):
    """An event arrived in a phase whose table has no row for it.

    Nothing changed: the component is still in `phase`.

    Attributes:
        component: the component's name ("dispatcher" for the job itself).
        kind: task, service or dispatcher.
        phase: the phase it is in.
        event: the event that was refused.
        allowed: the phases that event may be taken from.
    """

    def __init__(
        self,
        component: str,
        kind: Kind,
        phase: Phase,
        event: str,
        allowed: Iterable[Phase],
    ) -> None:
        self.component = component
        self.kind = kind
        self.phase = phase
        self.event = event
        self.allowed = tuple(sorted(allowed, key=lambda p: list(type(p)).index(p)))
        names = ", ".join(p.name for p in self.allowed) or "no phase"
        super().__init__(
            f"{kind} {component!r} cannot take event {event!r} in phase "
            f"{phase.name}; it is allowed only in {names}. Nothing changed; "
            f"check the order of events sent for {component!r}."
        )


class JobFailed(LifecycleError):
    """A job ended with outcome FAILED.

    The first error is `__cause__`; later errors are in `job.errors` and in
    this exception's notes.

    Attributes:
        job: the failed `Job`; its history records everything that happened.
    """

    def __init__(self, job: Job) -> None:
        self.job = job
        failures = job.failures
        detail = ""
        if failures:
            first = failures[0]
            detail = (
                f" in {first.kind} {first.component!r} while {first.phase.name}: "
                f"{describe(first.error)}"
            )
        super().__init__(
            f"job {job.name!r} failed{detail}. See job.errors and job.history."
        )
        for later in failures[1:]:
            self.add_note(
                f"later error in {later.kind} {later.component!r} while "
                f"{later.phase.name}: {describe(later.error)}"
            )


class ServiceUnavailable(LifecycleError):
    """A call reached a service that is not RUNNING.

    Attributes:
        service: the service's name.
        phase: the phase it was in.
    """

    def __init__(self, service: str, phase: Phase, job: str) -> None:
        self.service = service
        self.phase = phase
        if phase in (Phase.CREATED, Phase.STARTING):
            advice = (
                "it has not started yet; a service that calls it from its "
                "setup() must list it in depends_on, so that it starts first"
            )
        else:
            advice = (
                "call services only from the job's tasks and services while "
                "the job runs"
            )
        super().__init__(
            f"service {service!r} of job {job!r} is {phase.name}, not RUNNING, "
            f"so it takes no calls; {advice}."
        )


class UnknownService(LifecycleError, LookupError):
    """A name that no registered service has.

    Attributes:
        service: the name asked for.
        known: the names that do exist.
    """

    def __init__(self, service: str, known: Iterable[str]) -> None:
        self.service = service
        self.known = tuple(sorted(known))
        names = ", ".join(repr(n) for n in self.known) or "none"
        super().__init__(
            f"no service named {service!r}; the registered services are: {names}."
        )

    def __str__(self) -> str:  # LookupError would quote the message otherwise
        return str(self.args[0])
