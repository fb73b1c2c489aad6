"""Local services: one thread each, serving calls one at a time.

A `ServiceRunner` owns one service's thread. The thread builds the service,
runs `setup()` and `start()`, then serves the calls in its inbox in order
until the kernel asks it to stop; it runs `stop()`, and later `cleanup()` when
the kernel asks for it. Everything the service does happens on that thread, so
a resource such as a sqlite3 connection stays on the thread that opened it.

Calls are accepted only while the service is RUNNING. `StopService` shuts the
door first, then queues the stop behind the calls already accepted, which are
served. A call arriving later raises `ServiceUnavailable`.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from concurrent.futures import wait as wait_for_future
from dataclasses import dataclass
from typing import Any

from lifecycle import events as ev
from lifecycle.errors import ServiceUnavailable, UnknownService
from lifecycle.phases import Phase
from lifecycle.service import bind_thread, call_hook
from lifecycle.specs import checked_timeout

Report = Callable[[ev.Event], None]

#: Names no proxy or `call_service` may call: the hooks, which lifecycle runs
#: itself exactly once each, and the base classes' helpers for reaching
#: other services, which belong to the service's own code.
RESERVED_METHODS = frozenset(
    ("setup", "start", "stop", "cleanup", "service", "call_service")
)


@dataclass(frozen=True)
class ServiceDefinition:
    """How to build a registered service."""

    name: str
    cls: Any
    args: tuple[Any, ...]
    kwargs: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class _Call:
    service: str
    method: str | None
    args: tuple[Any, ...]
    kwargs: Mapping[str, Any]
    future: Future[Any]

    def run(self, instance: Any) -> None:
        if not self.future.set_running_or_notify_cancel():
            return  # the caller timed out and withdrew the call
        try:
            target = _target(self.service, instance, self.method)
            self.future.set_result(target(*self.args, **self.kwargs))
        except BaseException as error:
            self.future.set_exception(error)


_STOP = object()
_CLEANUP = object()
_ABANDONED = object()


class ServiceRunner:
    """Runs one service on a thread of its own; driven by kernel commands."""

    def __init__(
        self,
        definition: ServiceDefinition,
        job: str,
        report: Report,
        directory: ServiceDirectory,
    ) -> None:
        self.name = definition.name
        self.instance: Any = None
        self.thread = threading.Thread(
            target=self._run,
            name=f"lifecycle:{job}:service:{self.name}",
            daemon=True,
        )
        self._definition = definition
        self._report = report
        self._directory = directory
        self._inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
        #: True exactly while calls are accepted (the service is RUNNING).
        self._accepting = False
        self._door = threading.Lock()
        #: True once `setup()` returned, even after its deadline.
        self._set_up_returned = False
        self.abandoned = False

    # -- Commands, run by the job's driver thread --------------------------------

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        """Refuse new calls, then stop after the calls already accepted."""
        with self._door:
            self._accepting = False
        self._inbox.put(_STOP)

    def cleanup(self) -> None:
        self._inbox.put(_CLEANUP)

    def abandon(self) -> None:
        """Give up on the thread; if it comes back, it only releases what its
        setup acquired (it runs `cleanup()` at once) and exits."""
        with self._door:
            self.abandoned = True
            self._accepting = False
        self.thread.name += " (abandoned)"
        self._inbox.put(_ABANDONED)

    # -- Calls, from task and service threads ------------------------------------

    def submit(self, call: _Call, phase: Phase, job: str) -> None:
        with self._door:
            if not self._accepting:
                raise ServiceUnavailable(self.name, phase, job)
            self._inbox.put(call)

    # -- The service's own thread ------------------------------------------------

    def _run(self) -> None:
        bind_thread(self._directory)
        if self._set_up():
            self._serve()
            if not self.abandoned:
                self._stop_hook()
        self._clean_when_asked()

    def _set_up(self) -> bool:
        """Build the service and run `setup()` and `start()`; True if it runs.

        A setup that returns after its deadline is not started: the thread
        was abandoned, and `_clean_when_asked` releases it at once.
        """
        definition = self._definition
        try:
            self.instance = definition.cls(*definition.args, **definition.kwargs)
            call_hook(self.instance, "setup")
            self._set_up_returned = True
            if not self.abandoned:
                call_hook(self.instance, "start")
        except BaseException as error:
            self._report(ev.StartFailed(self.name, error, self._set_up_returned))
            return False
        with self._door:
            if self.abandoned:
                return False
            self._accepting = True
        self._report(ev.Started(self.name))
        return True

    def _serve(self) -> None:
        while True:
            message = self._inbox.get()
            if message is _STOP or message is _ABANDONED:
                return
            if isinstance(message, _Call):
                message.run(self.instance)

    def _stop_hook(self) -> None:
        try:
            call_hook(self.instance, "stop")
        except BaseException as error:
            self._report(ev.StopFailed(self.name, error))
        else:
            self._report(ev.Stopped(self.name))

    def _clean_when_asked(self) -> None:
        """Run `cleanup()` once asked, or at once if abandoned after setup."""
        if not self._set_up_returned:
            return
        while not self.abandoned:
            message = self._inbox.get()
            if message is _CLEANUP or message is _ABANDONED:
                break
        clean_up(self.instance, self.name, self._report)


def clean_up(instance: Any, name: str, report: Report) -> None:
    """Run `instance.cleanup()` if it has one; report `Cleaned` or the error."""
    try:
        call_hook(instance, "cleanup")
    except BaseException as error:
        report(ev.CleanupFailed(name, error))
    else:
        report(ev.Cleaned(name))


class ServiceDirectory:
    """The services of one job, by name; hands out proxies and routes calls.

    Args:
        job: the job's name, for messages.
        phase_of: returns a service's current phase, for messages.
        call_timeout: seconds a call may take when the caller gives none.
    """

    def __init__(
        self, job: str, phase_of: Callable[[str], Phase], call_timeout: float
    ) -> None:
        self.job = job
        self.call_timeout = call_timeout
        self.runners: dict[str, ServiceRunner] = {}
        self._phase_of = phase_of

    def proxy(self, name: str, timeout: float | None = None) -> ServiceProxy:
        """A proxy to service `name`; each call waits at most `timeout`.

        Raises:
            UnknownService: no service of this job has that name.
            ConfigError: `timeout` is not None nor a finite number >= 0.
        """
        self._runner(name)
        if timeout is not None:
            timeout = self._checked(timeout, f"service({name!r})")
        return ServiceProxy(self, name, timeout)

    def call(
        self,
        name: str,
        method: str | None,
        args: tuple[Any, ...],
        kwargs: Mapping[str, Any],
        timeout: float | None,
    ) -> Any:
        """Call `method` of service `name` (the service itself when None).

        Raises:
            UnknownService: no such service.
            ServiceUnavailable: the service is not RUNNING.
            AttributeError: the service has no such public method.
            TimeoutError: no answer within `timeout` (or the default).
            ConfigError: `timeout` is not None nor a finite number >= 0.
        """
        if timeout is not None:
            timeout = self._checked(timeout, f"call_service({name!r})")
        return self.send(name, method, args, kwargs, timeout)

    def send(
        self,
        name: str,
        method: str | None,
        args: tuple[Any, ...],
        kwargs: Mapping[str, Any],
        timeout: float | None,
    ) -> Any:
        """`call` with a `timeout` already checked, as proxies send calls."""
        runner = self._runner(name)
        _refuse_reserved(name, method)
        if threading.current_thread() is runner.thread:
            return _target(name, runner.instance, method)(*args, **kwargs)
        call = _Call(name, method, args, kwargs, Future())
        runner.submit(call, self._phase_of(name), self.job)
        limit = self.call_timeout if timeout is None else timeout
        done, _ = wait_for_future((call.future,), timeout=limit)
        if not done:
            call.future.cancel()
            raise TimeoutError(
                f"call to service {name!r} ({method or '__call__'}) gave no answer "
                f"within {limit:g} s; pass a larger timeout or check the service."
            )
        return call.future.result()

    def _checked(self, timeout: Any, call: str) -> float | None:
        none_means = f"the environment's call_timeout ({self.call_timeout:g} s)"
        return checked_timeout(timeout, f"job {self.job!r}: {call}", none_means)

    def _runner(self, name: str) -> ServiceRunner:
        try:
            return self.runners[name]
        except KeyError:
            raise UnknownService(name, self.runners) from None


def _target(name: str, instance: Any, method: str | None) -> Callable[..., Any]:
    """What a call to `method` of service `name` runs, on the service's thread.

    Raises:
        AttributeError: `method` is private or missing, or, when None, the
            service is not callable.
    """
    if method is None:
        if not callable(instance):
            raise AttributeError(
                f"service {name!r} ({type(instance).__name__}) is not callable; "
                f"pass method= to call one of its methods."
            )
        return instance
    found = None if method.startswith("_") else getattr(instance, method, None)
    if not callable(found):
        raise AttributeError(
            f"service {name!r} ({type(instance).__name__}) has no public method "
            f"{method!r}."
        )
    return found


def _refuse_reserved(name: str, method: str | None) -> None:
    if method in RESERVED_METHODS:
        raise AttributeError(
            f"service {name!r}: {method}() cannot be called through a proxy or "
            f"call_service: lifecycle runs the hooks setup, start, stop and "
            f"cleanup itself, once each, and service() and call_service() "
            f"belong to the service's own code; call its other public methods."
        )


class ServiceProxy:
    """Calls a service's methods on its thread: `proxy.search(query, k=3)`.

    Each call waits at most the proxy's timeout and raises `TimeoutError` when
    it overruns, `ServiceUnavailable` when the service is not RUNNING. The
    names in `RESERVED_METHODS` (the hooks, `service`, `call_service`) raise
    `AttributeError`: lifecycle runs the hooks itself.
    """

    __slots__ = ("_directory", "_name", "_timeout")

    def __init__(
        self, directory: ServiceDirectory, name: str, timeout: float | None
    ) -> None:
        self._directory = directory
        self._name = name
        self._timeout = timeout

    def __getattr__(self, method: str) -> Callable[..., Any]:
        if method.startswith("_"):
            raise AttributeError(method)
        _refuse_reserved(self._name, method)

        def call(*args: Any, **kwargs: Any) -> Any:
            return self._directory.send(self._name, method, args, kwargs, self._timeout)

        call.__name__ = method
        return call

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._directory.send(self._name, None, args, kwargs, self._timeout)

    def __repr__(self) -> str:
        return f"<ServiceProxy {self._name!r} of job {self._directory.job!r}>"
