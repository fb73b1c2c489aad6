"""Base classes for services and operator functions, and the way to call services.

Subclassing is optional: lifecycle calls `setup()`, `cleanup()` (and on
services `start()` and `stop()`) on any object that has them. The base classes
add `service(name)` and `call_service(...)`, which reach the job's services
from a task's or a service's own methods.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from lifecycle.errors import LifecycleError

if TYPE_CHECKING:
    from lifecycle.runtime.services import ServiceDirectory, ServiceProxy

_context = threading.local()


def bind_thread(directory: ServiceDirectory | None) -> None:
    """Make `directory` the services reachable from the calling thread."""
    _context.services = directory


def current_services() -> ServiceDirectory:
    """The services of the job whose task or service runs on this thread.

    Raises:
        LifecycleError: this thread runs no task or service of a job.
    """
    directory = getattr(_context, "services", None)
    if directory is None:
        raise LifecycleError(
            "no job runs on this thread: call services from the methods of a "
            "task or service while its job runs (setup, execute, cleanup, ...)."
        )
    return directory


def service(name: str, *, timeout: float | None = None) -> ServiceProxy:
    """A proxy to the job's service `name`, for plain functions used as tasks.

    Args:
        name: the name the service was registered under.
        timeout: seconds each call may take; the environment's default if None.

    Raises:
        UnknownService: no service has that name (the message lists those that do).
        LifecycleError: called outside a job's task or service.
        ConfigError: `timeout` is not None nor a finite number >= 0.
    """
    return current_services().proxy(name, timeout)


def call_hook(target: Any, hook: str) -> None:
    """Call `target.<hook>()` if `target` has such a method; do nothing otherwise."""
    method = getattr(target, hook, None)
    if callable(method):
        method()


class _ServiceUser:
    """What functions and services share: reaching the job's services."""

    def service(self, name: str, *, timeout: float | None = None) -> ServiceProxy:
        """A proxy to service `name`: `self.service("index").search(query)`.

        Args:
            name: the name the service was registered under.
            timeout: seconds each call may take; `TimeoutError` when it overruns.

        Raises:
            UnknownService: no service has that name.
            ConfigError: `timeout` is not None nor a finite number >= 0.
        """
        return current_services().proxy(name, timeout)

    def call_service(
        self,
        name: str,
        *args: Any,
        method: str | None = None,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> Any:
        """Call `method` of service `name` (the service itself when None).

        Raises:
            UnknownService: no service has that name.
            AttributeError: `method` is not a public method of the service, or
                is a hook (`setup`, `start`, `stop`, `cleanup`), `service` or
                `call_service`, which no caller may run.
            ServiceUnavailable: the service is not RUNNING.
            TimeoutError: the call took longer than `timeout`.
            ConfigError: `timeout` is not None nor a finite number >= 0.
        """
        return current_services().call(name, method, args, kwargs, timeout)


class Function(_ServiceUser):
    """Base class for an operator of a dataflow graph.

    Define `execute(item)`; `setup()` and `cleanup()` are optional and run on
    the task's thread, before the first item and after the last. Each parallel
    instance gets its own object, built from the class and the arguments
    given to the operator.
    """

    def setup(self) -> None:
        """Acquire what `execute` needs. Runs once, before the first item."""

    def cleanup(self) -> None:
        """Release what `setup` acquired. Runs once, only if `setup` returned."""

    def execute(self, item: Any) -> Any:
        """Process one item; what it returns goes downstream (see the operator)."""
        raise NotImplementedError(f"{type(self).__name__} must define execute(item)")


class Service(_ServiceUser):
    """Base class for a long-lived service that tasks call.

    A local service is constructed, runs its hooks and serves every call on a
    thread of its own, one call at a time. Its hooks run in this order:
    `setup()` then `start()` when the job starts; `stop()` then `cleanup()`
    when every task (and every service that depends on it) has stopped.
    Any public method can be called through a proxy, except the hooks and
    `service` and `call_service`: lifecycle runs the hooks itself.
    """

    def setup(self) -> None:
        """Acquire resources (open files, connections, indexes)."""

    def start(self) -> None:
        """Begin serving; runs after `setup` returned."""

    def stop(self) -> None:
        """Stop serving; no call arrives after it starts."""

    def cleanup(self) -> None:
        """Release what `setup` acquired. Runs once, only if `setup` returned."""
