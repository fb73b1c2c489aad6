"""A kernel wired to a simulated runtime and a history checker, checked per event.

`Harness` is what both the exhaustive checker and the property tests drive:
`apply(event)` hands the event to the kernel (built with its invariant checks
on), tells the simulated runtime it was sent, gives the runtime the commands
that came back, and feeds the new history records to a `TraceChecker`. Any
broken rule raises:

* `InvalidTransition`: the kernel refused an event (fine for an illegal one,
  a bug for a move the runtime offered);
* `InvariantViolation`: a rule of `lifecycle.invariants` broke;
* `CommandViolation`: a command no correct kernel issues (a second cleanup);
* `HistoryViolation`: the history broke a rule of `lifecycle.trace`;
* `HarnessViolation`: the kernel contradicts what the threads do, or the job
  ended (or stopped moving) with something left undone (`check`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from lifecycle import events as ev
from lifecycle.errors import LifecycleError
from lifecycle.kernel import Kernel
from lifecycle.specs import JobSpec
from lifecycle.trace import TraceChecker
from lifecycle.verify.simulation import Move, SimulatedRuntime, parked
from lifecycle.verify.state import fork_kernel, kernel_key


class HarnessViolation(LifecycleError):
    """The kernel and the simulated runtime disagree, or a job ended badly.

    Attributes:
        rule: "agreement" or "end".
    """

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(f"{rule}: {message}")
        self.rule = rule


@dataclass
class Harness:
    """One job's kernel, the runtime that executes it, and its history checker."""

    kernel: Kernel
    runtime: SimulatedRuntime
    checker: TraceChecker
    _kernel_key: tuple[int, ...] | None = None

    @classmethod
    def submitted(cls, spec: JobSpec, *, faults: bool = True) -> Harness:
        """A harness for `spec` whose job was just submitted."""
        ticks = itertools.count()
        kernel = Kernel(spec, clock=lambda: float(next(ticks)), check=True)
        depends_on = {service.name: service.depends_on for service in spec.services}
        harness = cls(kernel, SimulatedRuntime(spec, faults), TraceChecker(depends_on))
        harness.apply(ev.Submit())
        return harness

    def apply(self, event: ev.Event) -> list[ev.Command]:
        """Hand `event` to the kernel and check what follows; return the commands.

        Raises:
            LifecycleError: the first rule that broke (see the module).
        """
        kernel = self.kernel
        seen = len(kernel.history)
        self._kernel_key = None
        commands = kernel.handle(event)
        self.runtime.sent(event)
        self.runtime.accept(commands)
        for record in kernel.history.raw()[seen:]:
            self.checker.feed(record)
        return commands

    def check(self) -> None:
        """Check the kernel against the threads, and the end of the job.

        Raises:
            HarnessViolation: naming what is wrong.
        """
        problem = self.runtime.disagreement(self.kernel)
        if problem:
            raise HarnessViolation("agreement", problem)
        problem = self.runtime.end_problem(self.kernel)
        if problem:
            raise HarnessViolation("end", problem)

    @property
    def parked(self) -> bool:
        """The job waits in STOPPED for a stop, its services running."""
        return parked(self.kernel)

    def moves(self) -> list[Move]:
        """Every event that could be sent next."""
        return self.runtime.moves(self.kernel.state, parked=self.parked)

    def fork(self) -> Harness:
        """An independent copy, for another continuation of the same job."""
        return Harness(
            fork_kernel(self.kernel), self.runtime.fork(), self.checker.fork()
        )

    def kernel_key(self) -> tuple[int, ...]:
        """The kernel's state key (`lifecycle.verify.state.kernel_key`)."""
        if self._kernel_key is None:
            self._kernel_key = kernel_key(self.kernel)
        return self._kernel_key

    def key(self) -> bytes:
        """The state's name: its kernel's key, then its runtime's."""
        return bytes(self.kernel_key() + self.runtime.key())
