"""The kernel's rules, written as checks that can run after every event.

`check_kernel` raises `InvariantViolation` naming the rule that broke. The
kernel runs it after each event when built with `check=True` (the tests always
do); the exhaustive checker and the property tests call it on every state they
reach. The rule numbers are those of the guarantees in `docs/semantics.md`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lifecycle.components import Outcome, Role
from lifecycle.errors import LifecycleError
from lifecycle.phases import TERMINAL, Phase

if TYPE_CHECKING:
    from lifecycle.kernel import Kernel

#: A job takes at most this many transitions per component, plus a margin;
#: more means a loop.
TRANSITIONS_PER_COMPONENT = 12


class InvariantViolation(LifecycleError):
    """A rule of the kernel does not hold. This is a bug in lifecycle.

    Attributes:
        rule: a short name of the rule.
    """

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(f"{rule}: {message}")
        self.rule = rule


def check_kernel(kernel: Kernel) -> None:
    """Check every rule on `kernel`'s current state.

    Raises:
        InvariantViolation: the first rule that does not hold.
    """
    _check_tally(kernel)
    _check_services_outlive_tasks(kernel)
    _check_stop_order(kernel)
    _check_cleanups(kernel)
    _check_dispatcher(kernel)
    _check_bounded(kernel)


def _check_tally(kernel: Kernel) -> None:
    counted = {role: dict.fromkeys(Phase, 0) for role in Role}
    for component in kernel.components.values():
        counted[component.role][component.state] += 1
    if counted != kernel.tally.counts:
        raise InvariantViolation("tally", "the phase counters disagree with a recount")


def _check_services_outlive_tasks(kernel: Kernel) -> None:
    """Rule 1: no service leaves RUNNING while a task may still call it.

    A task may call services until it is terminal: its cleanup may, too.
    """
    stopped = [
        s.name for s in kernel.services if s.ran and s.state is not Phase.RUNNING
    ]
    working = [t.name for t in kernel.tasks if t.state not in TERMINAL]
    if stopped and working:
        raise InvariantViolation(
            "rule 1", f"services {stopped} left RUNNING while tasks {working} work"
        )


def _check_stop_order(kernel: Kernel) -> None:
    """Rule 3: a service stops only after every service that needs it ended."""
    for service in kernel.services:
        if not service.ran or service.state is Phase.RUNNING:
            continue
        alive = [
            name
            for name in service.dependents
            if kernel.components[name].state not in TERMINAL
        ]
        if alive:
            raise InvariantViolation(
                "rule 3", f"{service.name!r} stopped before its users {alive}"
            )


def _check_cleanups(kernel: Kernel) -> None:
    """Rule 2: cleanup at most once, only after setup, and once at the end."""
    for component in kernel.components.values():
        if component.cleanups > 1 or (component.cleanups and not component.set_up):
            raise InvariantViolation(
                "rule 2",
                f"{component.name!r} was cleaned {component.cleanups} times "
                f"(setup returned: {component.set_up})",
            )
        owed = component.set_up and not component.abandoned
        if component.state is Phase.CLEANED and owed and not component.cleanups:
            raise InvariantViolation(
                "rule 2", f"{component.name!r} is CLEANED but was never cleaned"
            )


def _check_dispatcher(kernel: Kernel) -> None:
    """Rule 4 and the dispatcher's guards: its phase matches its components."""
    phase = kernel.state
    order = list(Phase)
    if order.index(phase) >= order.index(Phase.STOPPED) and not kernel.tasks_stopped:
        raise InvariantViolation(
            "rule 4", f"dispatcher {phase.name} with tasks working"
        )
    if phase is Phase.CLEANING and not kernel.teardown_wanted:
        raise InvariantViolation("guard", "dispatcher CLEANING without a reason")
    if phase.terminal:
        open_ = [c.name for c in kernel.components.values() if c.state not in TERMINAL]
        if open_:
            raise InvariantViolation(
                "rule 4", f"job terminal with {open_} not terminal"
            )
    if (kernel.outcome is None) == phase.terminal:
        raise InvariantViolation(
            "outcome", f"outcome {kernel.outcome!r} in {phase.name}"
        )
    if kernel.outcome is Outcome.FAILED and not kernel.errors:
        raise InvariantViolation("rule 7", "outcome FAILED with no error recorded")
    if phase is Phase.FAILED and not any(
        c.state is Phase.FAILED for c in kernel.components.values()
    ):
        raise InvariantViolation("guard", "dispatcher FAILED with no component FAILED")


def _check_bounded(kernel: Kernel) -> None:
    limit = TRANSITIONS_PER_COMPONENT * (len(kernel.components) + 1) + 20
    moves = sum(1 for record in kernel.history.raw() if not record.noop)
    if moves > limit:
        raise InvariantViolation("bound", f"{moves} transitions, more than {limit}")
