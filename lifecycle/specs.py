"""Validated descriptions of a job: what the kernel needs to know, and no more.

The kernel sees names, roles and deadlines only; the callables, their
arguments and the dataflow edges stay with the runtime. Every spec is a frozen
pydantic model, so a wrong type or value is refused at `register_service` or
`submit` with a `ConfigError` that names the component and the field.
"""

from __future__ import annotations

import graphlib
import threading
from collections.abc import Iterable, Mapping
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from lifecycle.errors import ConfigError

#: A deadline in seconds: positive and finite.
Timeout = Annotated[float, Field(gt=0, allow_inf_nan=False)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
#: The `timeout=` of a call (wait, stop, a service call): seconds, finite,
#: non-negative (0 does not wait), and no longer than threading can wait.
CallTimeout = Annotated[
    float, Field(ge=0, le=threading.TIMEOUT_MAX, allow_inf_nan=False)
]
_CALL_TIMEOUT: TypeAdapter[float] = TypeAdapter(
    CallTimeout, config=ConfigDict(strict=True)
)

DEFAULT_START_TIMEOUT = 30.0
DEFAULT_STOP_TIMEOUT = 10.0


class _Spec(BaseModel):
    # Strict: "10" is not a timeout and "no" is not a bool. Lax mode would
    # take them, and submit(autostop="no") would block forever on a job
    # that parks.
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class ServiceSpec(_Spec):
    """A service as the kernel sees it."""

    name: Name
    depends_on: tuple[Name, ...] = ()
    start_timeout: Timeout = DEFAULT_START_TIMEOUT
    stop_timeout: Timeout = DEFAULT_STOP_TIMEOUT


class TaskSpec(_Spec):
    """One instance of an operator as the kernel sees it."""

    name: Name
    source: bool = False
    start_timeout: Timeout = DEFAULT_START_TIMEOUT
    stop_timeout: Timeout = DEFAULT_STOP_TIMEOUT


class JobSpec(_Spec):
    """A whole job: its tasks, its services and how it ends.

    Build one with `job_spec`, which also checks names and dependencies.
    """

    name: Name
    tasks: tuple[TaskSpec, ...]
    services: tuple[ServiceSpec, ...] = ()
    autostop: bool = True
    drain_timeout: Timeout = DEFAULT_STOP_TIMEOUT


SpecT = TypeVar("SpecT", bound=BaseModel)


def validated(model: type[SpecT], what: str, **fields: Any) -> SpecT:
    """Build `model` from `fields`, turning a validation error into `ConfigError`.

    Args:
        model: the pydantic model to build.
        what: the component the fields belong to, for the message
            (e.g. "service 'index'").
        fields: the values given by the user.

    Raises:
        ConfigError: naming `what`, the field and the problem.
    """
    try:
        return model(**fields)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "value"
        given = first.get("input")
        raise ConfigError(
            f"{what}: {field}: {first['msg']} (got {given!r}); fix that argument.",
            component=what,
            field=field,
        ) from None


def checked_timeout(value: Any, call: str, none_means: str) -> float | None:
    """The one check of every call's `timeout=`: seconds, or None.

    Args:
        value: what the caller passed.
        call: the call with its other arguments, as the message names it
            (e.g. "job 'etl': wait()").
        none_means: what None stands for in that call (e.g. "no limit").

    Returns:
        `value` as a float, or None.

    Raises:
        ConfigError: `value` is not None nor a finite number >= 0 (a bool or
            a string is not a number); the field is "timeout".
    """
    if value is None:
        return None
    try:
        return _CALL_TIMEOUT.validate_python(value)
    except ValidationError as error:
        problem = error.errors()[0]["msg"].lower()
        raise ConfigError(
            f"{call} got timeout={value!r} ({problem}); pass a number of seconds "
            f"(finite, >= 0), or None for {none_means}.",
            field="timeout",
        ) from None


def job_spec(
    name: str,
    tasks: Iterable[TaskSpec],
    services: Iterable[ServiceSpec] = (),
    *,
    autostop: bool = True,
    drain_timeout: float = DEFAULT_STOP_TIMEOUT,
) -> JobSpec:
    """Build a `JobSpec`, checking that names are unique and dependencies sound.

    Raises:
        ConfigError: for a duplicate name, a `depends_on` naming no service, or
            a dependency cycle (the message names its members).
    """
    spec = validated(
        JobSpec,
        f"job {name!r}",
        name=name,
        tasks=tuple(tasks),
        services=tuple(services),
        autostop=autostop,
        drain_timeout=drain_timeout,
    )
    _check_unique([*spec.services, *spec.tasks])
    start_order(spec.services)
    return spec


def _check_unique(specs: Iterable[ServiceSpec | TaskSpec]) -> None:
    seen: dict[str, str] = {}
    for spec in specs:
        kind = "service" if isinstance(spec, ServiceSpec) else "task"
        if spec.name in seen:
            raise ConfigError(
                f"a {seen[spec.name]} and a {kind} are both named {spec.name!r}; "
                f"give each a unique name (rename the service).",
                component=spec.name,
                field="name",
            )
        seen[spec.name] = kind


def start_order(services: Iterable[ServiceSpec]) -> list[str]:
    """Names of `services` in an order that starts each after its dependencies.

    Raises:
        ConfigError: for an unknown dependency or a cycle.
    """
    graph = {spec.name: spec.depends_on for spec in services}
    for service, needs in graph.items():
        for need in needs:
            if need not in graph:
                known = ", ".join(repr(n) for n in sorted(graph))
                raise ConfigError(
                    f"service {service!r} depends on {need!r}, which is not "
                    f"registered; register it before submit or fix the name "
                    f"(registered services: {known}).",
                    component=service,
                    field="depends_on",
                )
    try:
        return list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as error:
        cycle = _depends_on_order(error.args[1], list(graph))
        chain = ", which depends on ".join(repr(name) for name in cycle[1:])
        raise ConfigError(
            f"services depend on each other in a cycle: {cycle[0]!r} depends "
            f"on {chain}; remove one of these depends_on entries.",
            component=cycle[0],
            field="depends_on",
        ) from None


def _depends_on_order(cycle: list[str], registered: list[str]) -> list[str]:
    """A cycle as graphlib gives it, each name followed by one it depends on.

    graphlib lists each name before the names that depend on it, first name
    repeated last; the result reads the other way and starts with the member
    registered first, repeated last as well.
    """
    members = list(reversed(cycle[1:]))
    first = min(range(len(members)), key=lambda i: registered.index(members[i]))
    members = members[first:] + members[:first]
    return [*members, members[0]]


def dependents_of(services: Iterable[ServiceSpec]) -> Mapping[str, tuple[str, ...]]:
    """Map each service to the services that depend on it."""
    found: dict[str, list[str]] = {}
    for spec in services:
        found.setdefault(spec.name, [])
        for need in spec.depends_on:
            found.setdefault(need, []).append(spec.name)
    return {name: tuple(users) for name, users in found.items()}
