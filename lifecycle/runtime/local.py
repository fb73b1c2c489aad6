"""The local runtime: tasks and services on threads of one process.

`LocalRuntime` builds, for one job, a channel per non-source node, a
`TaskRunner` per task instance and a `ServiceRunner` per service, none started.
Its driver applies the job's events to the kernel; `execute` runs the
commands that come back, each in a few microseconds and without blocking:
hand a thread to the starter, open or close a door, queue a hook, arm a
deadline.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping

from lifecycle import events as ev
from lifecycle.kernel import Kernel
from lifecycle.logs import get_logger
from lifecycle.runtime.channel import Channel
from lifecycle.runtime.driver import Driver
from lifecycle.runtime.services import (
    ServiceDefinition,
    ServiceDirectory,
    ServiceRunner,
)
from lifecycle.runtime.starter import ThreadStarter
from lifecycle.runtime.tasks import TaskRunner
from lifecycle.stream import Node

_log = get_logger()


class LocalRuntime:
    """Runs one job's tasks and services on threads.

    Args:
        kernel: the job's kernel, not yet submitted.
        nodes: the job's dataflow nodes.
        services: how to build each registered service, by name.
        call_timeout: seconds a service call may take by default.
        queue_size: how many items may wait in front of a node.
    """

    def __init__(
        self,
        kernel: Kernel,
        nodes: Iterable[Node],
        services: Mapping[str, ServiceDefinition],
        *,
        call_timeout: float,
        queue_size: int,
    ) -> None:
        self.kernel = kernel
        self.starter = ThreadStarter(f"lifecycle:{kernel.job}", self._report)
        self.driver = Driver(kernel, self.execute, self.starter.flush)
        self.directory = ServiceDirectory(kernel.job, self._phase_of, call_timeout)
        #: Threads given up on after a deadline, by component name.
        self.abandoned: dict[str, threading.Thread] = {}
        for definition in services.values():
            runner = ServiceRunner(
                definition, kernel.job, self.driver.report, self.directory
            )
            self.directory.runners[definition.name] = runner
        self.tasks = _task_runners(
            list(nodes), kernel.job, self.driver.report, self.directory, queue_size
        )

    def start(self) -> None:
        """Submit the job: the driver thread starts and applies `Submit`."""
        self.driver.start(ev.Submit())

    def threads(self) -> list[threading.Thread]:
        """Every thread of this job that was started, the driver's included."""
        runners = [*self.tasks.values(), *self.directory.runners.values()]
        threads = [r.thread for r in runners] + self.starter.threads
        return [self.driver.thread, *(t for t in threads if t.ident is not None)]

    def _report(self, event: ev.Event) -> None:
        self.driver.report(event)

    def on_own_thread(self) -> bool:
        """True when the caller runs on one of this job's threads."""
        return threading.current_thread() in self.threads()

    def join(self, timeout: float) -> list[threading.Thread]:
        """Wait up to `timeout` for the job's threads to end, abandoned ones aside.

        Returns:
            The threads still alive, abandoned ones included.
        """
        deadline = time.monotonic() + timeout
        abandoned = set(self.abandoned.values())
        for thread in self.threads():
            if thread not in abandoned and thread is not threading.current_thread():
                thread.join(max(0.0, deadline - time.monotonic()))
        return [thread for thread in self.threads() if thread.is_alive()]

    def _phase_of(self, name: str):
        return self.kernel.components[name].state

    # -- Commands ----------------------------------------------------------------

    def execute(self, command: ev.Command) -> None:
        """Run one command. Called on the driver's thread only."""
        if isinstance(command, ev.TIMED_COMMANDS):
            # Armed first: even a command that fails to run has its deadline.
            overran = ev.Overran(command.name, command.phase, command.timeout)
            self.driver.arm(command.timeout, overran)
        _EXECUTORS[type(command)](self, command)

    def _start_service(self, command: ev.StartService) -> None:
        self.starter.add(self.directory.runners[command.name])

    def _start_task(self, command: ev.StartTask) -> None:
        self.starter.add(self.tasks[command.name])

    def _stop_source(self, command: ev.StopSource) -> None:
        self.tasks[command.name].stop_source()

    def _force_stop_task(self, command: ev.ForceStopTask) -> None:
        self.tasks[command.name].force()

    def _stop_service(self, command: ev.StopService) -> None:
        self.directory.runners[command.name].stop()

    def _cleanup(self, command: ev.Cleanup) -> None:
        self._runner(command.name).cleanup()

    def _abandon(self, command: ev.Abandon) -> None:
        runner = self._runner(command.name)
        runner.abandon()
        self.abandoned[command.name] = runner.thread
        _log.warning(
            "abandoned thread",
            job=self.kernel.job,
            component=command.name,
            thread=runner.thread.name,
        )

    def _arm_drain_deadline(self, command: ev.ArmDrainDeadline) -> None:
        self.driver.arm(command.timeout, ev.DrainOverran(command.timeout))

    def _runner(self, name: str) -> TaskRunner | ServiceRunner:
        return self.tasks.get(name) or self.directory.runners[name]


_EXECUTORS: dict[type, Callable[[LocalRuntime, ev.Command], None]] = {
    ev.StartService: LocalRuntime._start_service,
    ev.StartTask: LocalRuntime._start_task,
    ev.StopSource: LocalRuntime._stop_source,
    ev.ForceStopTask: LocalRuntime._force_stop_task,
    ev.StopService: LocalRuntime._stop_service,
    ev.Cleanup: LocalRuntime._cleanup,
    ev.Abandon: LocalRuntime._abandon,
    ev.ArmDrainDeadline: LocalRuntime._arm_drain_deadline,
}


def _task_runners(
    nodes: list[Node],
    job: str,
    report: Callable[[ev.Event], None],
    directory: ServiceDirectory,
    queue_size: int,
) -> dict[str, TaskRunner]:
    """One runner per task instance, wired to one channel per non-source node."""
    channels = {
        id(node): Channel(
            max(queue_size, node.parallelism),
            producers=sum(up.parallelism for up in node.upstreams),
            consumers=node.parallelism,
        )
        for node in nodes
        if node.upstreams
    }
    runners: dict[str, TaskRunner] = {}
    for node in nodes:
        outputs = [channels[id(down)] for down in node.downstreams]
        for name in node.instance_names:
            runners[name] = TaskRunner(
                name, node, channels.get(id(node)), outputs, job, report, directory
            )
    return runners
