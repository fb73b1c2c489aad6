"""The checks catch real bugs: three are seeded into the kernel, one at a time.

Each bug is patched in for one test only (`monkeypatch` undoes it):

(a) the guard that waits for every task before teardown always holds;
(b) a service's cleanup is asked for again once it returned;
(c) a repeated stop is taken as a first one, and re-sends the teardown
    commands of the services already being torn down.

For each, the property test (`KernelMachine`, generation only, fixed seed)
and the exhaustive search (`verify`) must find a violation. The figures in
`docs/testing.md` come from `python -m tests.property.test_seeded_bugs`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from lifecycle import events as ev
from lifecycle import phases
from lifecycle.errors import LifecycleError
from lifecycle.kernel import Kernel
from lifecycle.phases import Kind
from lifecycle.phases import Phase as P
from lifecycle.verify.explore import verify
from tests.property.test_kernel_machine import KernelMachine


@contextmanager
def no_task_guard() -> Iterator[None]:
    """Bug (a): the row STOPPING -> STOPPED no longer waits for the tasks."""
    guard = phases.ALL_TASKS_STOPPED
    holds = guard.holds
    object.__setattr__(guard, "holds", lambda kernel: True)
    try:
        yield
    finally:
        object.__setattr__(guard, "holds", holds)


def cleans_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bug (b): once a service's cleanup returned, it is asked for again."""
    move = Kernel._move

    def buggy(self, component, event, detail=""):
        move(self, component, event, detail)
        if component.kind is Kind.SERVICE and event == "cleaned":
            self._commands.append(ev.Cleanup(component.name, component.stop_timeout))

    monkeypatch.setattr(Kernel, "_move", buggy)


def tears_down_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bug (c): a repeated stop re-sends the teardown of services under way."""
    on_stop = Kernel._on_stop_requested

    def buggy(self, event):
        if self.stop_asked and not self.state.terminal:
            for service in self.services:
                if service.state is P.STOPPING:
                    self._commands.append(
                        ev.StopService(service.name, service.stop_timeout)
                    )
                elif service.state is P.CLEANING:
                    self._commands.append(
                        ev.Cleanup(service.name, service.stop_timeout)
                    )
            return
        on_stop(self, event)

    monkeypatch.setitem(Kernel._HANDLERS, ev.StopRequested, buggy)


def hunt(max_examples: int = 3000, shrink: bool = False) -> tuple[Exception, int]:
    """Run the property test until it fails; return the error and examples run."""
    KernelMachine.jobs_run = 0
    chosen = settings(
        max_examples=max_examples,
        stateful_step_count=60,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.generate, Phase.shrink] if shrink else [Phase.generate],
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    try:
        run_state_machine_as_test(KernelMachine, settings=chosen)
    except Exception as error:
        return error, KernelMachine.jobs_run
    raise AssertionError(f"no violation in {max_examples} examples")


def test_the_property_test_catches_bug_a() -> None:
    """Teardown before the tasks stopped breaks rule 1 or rule 4 at once."""
    with no_task_guard():
        error, _ = hunt()
    assert isinstance(error, LifecycleError)
    assert error.rule in ("rule 1", "rule 4")


def test_the_property_test_catches_bug_b(monkeypatch) -> None:
    """A second cleanup is refused by the simulated runtime."""
    cleans_twice(monkeypatch)
    error, _ = hunt()
    assert "Cleanup number 2" in str(error)


def test_the_property_test_catches_bug_c(monkeypatch) -> None:
    """A second teardown is refused by the simulated runtime."""
    tears_down_twice(monkeypatch)
    error, _ = hunt()
    assert "which is stopping" in str(error) or "Cleanup number 2" in str(error)


def test_verify_catches_bug_a() -> None:
    """Without faults, 1 task and 1 service: rule 4 breaks on the normal path."""
    with no_task_guard():
        result = verify(1, 1)
    assert result.violation is not None and result.violation.rule == "rule 4"


def test_verify_catches_bug_b(monkeypatch) -> None:
    """Without faults: the second cleanup is the last event of the shortest path."""
    cleans_twice(monkeypatch)
    result = verify(1, 1)
    assert result.violation is not None and result.violation.rule == "commands"
    assert result.violation.path[-1] == ev.Cleaned("s1")


def test_verify_catches_bug_c(monkeypatch) -> None:
    """With faults: the repeated stop is the last event of the shortest path."""
    tears_down_twice(monkeypatch)
    result = verify(1, 1, faults=True)
    assert result.violation is not None and result.violation.rule == "commands"
    assert isinstance(result.violation.path[-1], ev.StopRequested)


SEEDS: dict[str, Callable[[pytest.MonkeyPatch], None]] = {
    "b: clean a service twice": cleans_twice,
    "c: duplicate stop tears down twice": tears_down_twice,
}


def _measure() -> None:  # pragma: no cover (prints the figures for the docs)
    """Print, for each bug, what catches it, how fast, and the shortest path."""

    def report(name: str) -> None:
        began = time.perf_counter()
        error, examples = hunt(shrink=False)
        seconds = time.perf_counter() - began
        print(f"{name}\n  property test: {examples} examples, {seconds:.2f} s: {error}")
        for scope in ((1, 1, False), (1, 1, True)):
            result = verify(scope[0], scope[1], faults=scope[2])
            if result.violation:
                v = result.violation
                print(
                    f"  verify {scope}: {result.states} states, "
                    f"{result.seconds:.3f} s: {v.rule}: {v.message}"
                )
                for event in v.path:
                    print(f"      {event!r}")
                break

    with no_task_guard():
        report("a: drop the guard that waits for all tasks")
    for name, seed in SEEDS.items():
        with pytest.MonkeyPatch.context() as patch:
            seed(patch)
            report(name)


if __name__ == "__main__":  # pragma: no cover
    _measure()
