"""`LocalEnvironment`: where services are registered and pipelines submitted."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from pydantic import Field

from lifecycle.components import Outcome
from lifecycle.errors import ConfigError, JobFailed
from lifecycle.events import StopOrigin
from lifecycle.job import Job
from lifecycle.kernel import Kernel
from lifecycle.phases import Phase
from lifecycle.runtime.local import LocalRuntime
from lifecycle.runtime.services import ServiceDefinition
from lifecycle.specs import (
    DEFAULT_START_TIMEOUT,
    DEFAULT_STOP_TIMEOUT,
    Name,
    ServiceSpec,
    TaskSpec,
    Timeout,
    _Spec,
    job_spec,
    validated,
)
from lifecycle.stream import Pipeline, Stream, source


class EnvironmentOptions(_Spec):
    """Settings of an environment, validated when it is built."""

    name: Name
    start_timeout: Timeout = DEFAULT_START_TIMEOUT
    stop_timeout: Timeout = DEFAULT_STOP_TIMEOUT
    call_timeout: Timeout = 30.0
    queue_size: int = Field(default=256, ge=1)
    check: bool = False


class LocalEnvironment:
    """Runs jobs on threads of this process.

    Args:
        name: the name of the environment; its jobs are named after it.
        start_timeout: default deadline, in seconds, of each component's setup.
        stop_timeout: default deadline of each component's stop and of its
            cleanup, each; also how long `job.stop()` lets tasks drain.
        call_timeout: default deadline of a service call.
        queue_size: how many items may wait in front of each node.
        check: check the kernel's invariants after every event (for tests).

    Use it as a context manager: leaving the block stops every job.
    """

    def __init__(
        self,
        name: str = "lifecycle",
        *,
        start_timeout: float = DEFAULT_START_TIMEOUT,
        stop_timeout: float = DEFAULT_STOP_TIMEOUT,
        call_timeout: float = 30.0,
        queue_size: int = 256,
        check: bool = False,
    ) -> None:
        self.options = validated(
            EnvironmentOptions,
            "environment",
            name=name,
            start_timeout=start_timeout,
            stop_timeout=stop_timeout,
            call_timeout=call_timeout,
            queue_size=queue_size,
            check=check,
        )
        self.name = self.options.name
        self.jobs: list[Job] = []
        self._services: dict[str, tuple[ServiceSpec, ServiceDefinition]] = {}
        self._pipeline = Pipeline()
        self._closed = False
        #: Makes submit and close exclusive, so no job escapes a close.
        self._lock = threading.Lock()

    def __enter__(self) -> LocalEnvironment:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def register_service(
        self,
        name: str,
        cls: Any,
        /,
        *args: Any,
        depends_on: Iterable[str] = (),
        start_timeout: float | None = None,
        stop_timeout: float | None = None,
        **kwargs: Any,
    ) -> None:
        """Register a service, built as `cls(*args, **kwargs)` when a job starts.

        Args:
            name: the name tasks call it by.
            cls: a class (a `Service` subclass or any class), or a factory.
            depends_on: names of services it needs: they start before it and
                stop after it. They may be registered later.
            start_timeout: deadline of its setup and start, in seconds.
            stop_timeout: deadline of its stop and of its cleanup, each.

        Raises:
            ConfigError: a duplicate name, a wrong argument, or a job was
                already submitted.
        """
        what = f"service {name!r}"
        self._check_open(what)
        if self.jobs:
            raise ConfigError(
                f"{what}: register services before the first submit; jobs of "
                f"{self.name!r} already run with the services they had.",
                component=name,
            )
        if name in self._services:
            raise ConfigError(
                f"{what} is already registered; give each service its own name.",
                component=name,
                field="name",
            )
        if not callable(cls):
            raise ConfigError(
                f"{what}: expected a class or factory, got {type(cls).__name__}.",
                component=name,
                field="cls",
            )
        if isinstance(depends_on, str):
            raise ConfigError(
                f"{what}: depends_on takes a list of service names, not the "
                f"string {depends_on!r}; write depends_on=[{depends_on!r}].",
                component=name,
                field="depends_on",
            )
        spec = validated(
            ServiceSpec,
            what,
            name=name,
            depends_on=tuple(depends_on) if _iterable(depends_on) else depends_on,
            start_timeout=_or(start_timeout, self.options.start_timeout),
            stop_timeout=_or(stop_timeout, self.options.stop_timeout),
        )
        self._services[name] = (spec, ServiceDefinition(name, cls, args, kwargs))

    def from_batch(self, items: Iterable[Any]) -> Stream:
        """A stream of `items`, read by one source task.

        Args:
            items: any iterable, endless ones included; an endless one runs
                until `job.stop()`.
        """
        self._check_open("from_batch")
        return source(self._pipeline, items)

    def submit(self, autostop: bool = True, *, block: bool | None = None) -> Job:
        """Start the pipeline built since the last submit, as a new job.

        Args:
            autostop: tear services down as soon as the batch ends. Without
                it, a batch that finished parks the job in STOPPED with its
                services running until `job.stop()` or `env.close()`.
            block: wait until the job is terminal. Defaults to `autostop`.

        Returns:
            The job. When blocking, it is terminal and succeeded or was
            cancelled.

        Raises:
            JobFailed: blocking, and the job failed; the first error is
                its `__cause__`.
            ConfigError: nothing to submit, or the services' `depends_on`
                name unknown services or form a cycle.
            KeyboardInterrupt: blocking, after the job was torn down.
            RuntimeError: no thread could be started for the job's driver;
                nothing runs.
        """
        with self._lock:  # a concurrent close() stops this job or refuses it
            self._check_open("submit")
            runtime = self._runtime(self._pipeline, autostop)
            self._take_pipeline()
            job = Job(runtime)
            self.jobs.append(job)
            try:
                runtime.start()
            except RuntimeError:
                # No driver runs: nothing to stop and nothing to wait for.
                self.jobs.remove(job)
                job._forget()
                raise
        if autostop if block is None else block:
            job.wait()
            if job.outcome is Outcome.FAILED:
                raise JobFailed(job) from job.error
        else:
            job.wait(Phase.STARTING)  # the driver took the submit: state is live
        return job

    def close(self) -> None:
        """Stop every job of this environment; return when all are terminal.

        Idempotent, and safe from any thread: a `submit` racing with it either
        is refused or its job is stopped too. Leaves no lifecycle thread
        running except abandoned ones, which each job lists in `job.abandoned`.
        """
        with self._lock:
            self._closed = True
            jobs = list(self.jobs)
        for job in jobs:
            job._close(StopOrigin.CLOSE)

    # -- Helpers -------------------------------------------------------------------

    def _check_open(self, what: str) -> None:
        if self._closed:
            raise ConfigError(
                f"{what}: environment {self.name!r} is closed; create a new one."
            )

    def _take_pipeline(self) -> None:
        """Mark the pending pipeline submitted; the next one starts empty."""
        self._pipeline.submitted = True
        self._pipeline = Pipeline()

    def _runtime(self, pipeline: Pipeline, autostop: bool) -> LocalRuntime:
        """Build the job's runtime; on a ConfigError the pipeline stays pending."""
        if not pipeline.nodes:
            raise ConfigError(
                f"environment {self.name!r} has nothing to submit; build a "
                f"pipeline with env.from_batch(items)... first."
            )
        options = self.options
        tasks = [
            TaskSpec.model_construct(
                name=name,
                source=node.op == "source",
                start_timeout=options.start_timeout,
                stop_timeout=options.stop_timeout,
            )
            for node in pipeline.nodes
            for name in node.instance_names
        ]
        number = len(self.jobs) + 1
        spec = job_spec(
            self.name if number == 1 else f"{self.name}-{number}",
            tasks,
            [spec for spec, _ in self._services.values()],
            autostop=autostop,
            drain_timeout=options.stop_timeout,
        )
        return LocalRuntime(
            Kernel(spec, check=options.check),
            pipeline.nodes,
            {name: definition for name, (_, definition) in self._services.items()},
            call_timeout=options.call_timeout,
            queue_size=options.queue_size,
        )


def _or(value: float | None, default: float) -> float:
    return default if value is None else value


def _iterable(value: Any) -> bool:
    return hasattr(value, "__iter__") and not isinstance(value, str)
