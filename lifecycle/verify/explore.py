"""Exhaustive small-scope checking: every interleaving of events, breadth first.

Theory of operation
-------------------
A state is a `Harness`: a kernel, the `SimulatedRuntime` that holds its
promises, and a checker of its history. The root is a job just submitted.
Expanding a state lists the moves the runtime offers and, for each, forks the
harness and applies the move's event, which checks on every edge:

* the kernel's own rules (`check_kernel`, run by the kernel on every event);
* the commands (no second cleanup, no stop of a service that is not serving);
* the history (`TraceChecker`: chain, table, rules 1 to 4);
* that no event the runtime could send is refused (`InvalidTransition`).

And on every state: the kernel's phases agree with what the threads do, and
once nothing is owed the job is terminal (or parked without autostop), every
component whose setup returned was cleaned exactly once (abandoned ones
aside), and no service is left serving.

A LATE move (a deadline for a phase already left, a report from an abandoned
thread, a repeated stop) must leave the kernel as it was and issue nothing.
It is probed, not followed; the kernel's answer to an event depends on its
own state only, so each late event is probed once per kernel state.

After the search, the graph of states must have no cycle, and every state
that is not terminal must have a way on: then every path ends in a terminal
phase.

States are told apart by `Harness.key`, packed into bytes. Each state is
expanded from the first (shortest) path that reached it; the history checker
sees that path's history. Because the search is breadth first, the first
violation found has a shortest event sequence: `Violation.path`.

Forking copies a few small objects (microseconds); replaying each path from
the submit would cost its whole length in events for every edge.
"""

from __future__ import annotations

import time
from array import array
from collections import deque
from dataclasses import dataclass, field

from lifecycle import events as ev
from lifecycle.errors import InvalidTransition, LifecycleError
from lifecycle.specs import JobSpec, ServiceSpec, TaskSpec, job_spec
from lifecycle.verify.harness import Harness
from lifecycle.verify.simulation import Sort
from lifecycle.verify.state import kernel_key, only_deadlines


def job_shape(tasks: int, services: int, *, autostop: bool = True) -> JobSpec:
    """The job `lifecycle verify` checks: a chain of tasks, a chain of services.

    Tasks: `t1` (the source) -> `t2` -> ... -> `tN`. Services: `s1`, then
    `s2` depending on `s1`, and so on, so they start in that order and must
    stop in the reverse order.
    """
    task_specs = [TaskSpec(name=f"t{n}", source=n == 1) for n in range(1, tasks + 1)]
    service_specs = [
        ServiceSpec(name=f"s{n}", depends_on=(f"s{n - 1}",) if n > 1 else ())
        for n in range(1, services + 1)
    ]
    name = f"verify-{tasks}t-{services}s"
    return job_spec(name, task_specs, service_specs, autostop=autostop)


@dataclass
class Violation:
    """A broken rule and the shortest event sequence that breaks it."""

    rule: str
    message: str
    path: list[ev.Event]


@dataclass
class Result:
    """What a search explored, and the violation it found, if any."""

    spec: JobSpec
    faults: bool
    states: int = 0
    edges: int = 0
    probes: int = 0
    terminal: int = 0
    seconds: float = 0.0
    violation: Violation | None = None


class _Found(Exception):
    def __init__(self, violation: Violation) -> None:
        super().__init__(violation.message)
        self.violation = violation


@dataclass
class Search:
    """A breadth-first search over one job's kernel states.

    Args:
        spec: the job to explore.
        faults: include raises, overruns, stops and force-stops.
        max_states: give up (with a violation) past this many states.
    """

    spec: JobSpec
    faults: bool = False
    max_states: int = 5_000_000
    keys: dict[bytes, int] = field(default_factory=dict)
    parents: array = field(default_factory=lambda: array("q"))
    via: list[ev.Event] = field(default_factory=list)
    successors: array = field(default_factory=lambda: array("I"))
    offsets: array = field(default_factory=lambda: array("Q", [0]))
    terminal: bytearray = field(default_factory=bytearray)
    probed: set[tuple[bytes, ev.Event]] = field(default_factory=set)

    def run(self) -> Result:
        """Explore every reachable state; stop at the first violation."""
        result = Result(self.spec, self.faults)
        began = time.perf_counter()
        try:
            self._explore(result)
            self._check_every_path_ends()
        except _Found as found:
            result.violation = found.violation
        result.states = len(self.keys)
        result.terminal = sum(self.terminal)
        result.seconds = time.perf_counter() - began
        return result

    # -- The search ------------------------------------------------------------

    def _explore(self, result: Result) -> None:
        root = self._root()
        frontier: deque[tuple[int, Harness]] = deque([(0, root)])
        while frontier:
            index, state = frontier.popleft()
            self._check_state(index, state)
            for move in state.moves():
                if move.sort is Sort.LATE:
                    result.probes += self._probe(index, state, move.event)
                    continue
                child = self._edge(index, state, move.event)
                result.edges += 1
                target, new = self._add(child, index, move.event)
                self.successors.append(target)
                if new:
                    frontier.append((target, child))
            self.offsets.append(len(self.successors))

    def _root(self) -> Harness:
        try:
            root = Harness.submitted(self.spec, faults=self.faults)
        except Exception as error:
            rule, message = _classify(error)
            raise _Found(Violation(rule, message, [ev.Submit()])) from None
        self._add(root, -1, ev.Submit())
        return root

    def _add(self, state: Harness, parent: int, event: ev.Event) -> tuple[int, bool]:
        """The index of `state`, and whether it is new."""
        key = state.key()
        known = self.keys.get(key)
        if known is not None:
            return known, False
        if len(self.keys) >= self.max_states:
            message = f"more than {self.max_states} states; choose a smaller scope"
            raise _Found(Violation("scope", message, []))
        index = len(self.keys)
        self.keys[key] = index
        self.parents.append(parent)
        self.via.append(event)
        self.terminal.append(state.kernel.state.terminal)
        return index, True

    def _edge(self, index: int, state: Harness, event: ev.Event) -> Harness:
        child = state.fork()
        self._apply(index, child, event)
        return child

    def _apply(self, index: int, state: Harness, event: ev.Event) -> list:
        try:
            return state.apply(event)
        except Exception as error:
            raise self._found(index, event, *_classify(error)) from None

    def _probe(self, index: int, state: Harness, event: ev.Event) -> bool:
        """A LATE event must leave the kernel as it was and issue no work."""
        before = state.kernel_key()
        tried = (bytes(before), event)
        if tried in self.probed:
            return False
        self.probed.add(tried)
        child = state.fork()
        commands = self._apply(index, child, event)
        if not only_deadlines(commands) or kernel_key(child.kernel) != before:
            message = f"a late or repeated event changed the job; commands {commands}"
            raise self._found(index, event, "late event", message)
        return True

    def _check_state(self, index: int, state: Harness) -> None:
        try:
            state.check()
        except LifecycleError as error:
            raise _Found(Violation(error.rule, str(error), self._path(index))) from None

    def _check_every_path_ends(self) -> None:
        """No cycle, and every non-terminal state has a way on (Kahn's sort)."""
        count = len(self.keys)
        incoming = array("I", bytes(4 * count))
        for target in self.successors:
            incoming[target] += 1
        ready = [i for i in range(count) if incoming[i] == 0]
        removed = 0
        while ready:
            state = ready.pop()
            removed += 1
            start, end = self.offsets[state], self.offsets[state + 1]
            if start == end and not self.terminal[state]:
                message = "no event can follow, yet the job is not terminal"
                raise _Found(Violation("stuck", message, self._path(state)))
            for target in self.successors[start:end]:
                incoming[target] -= 1
                if incoming[target] == 0:
                    ready.append(target)
        if removed < count:
            looping = next(i for i in range(count) if incoming[i])
            message = "events can go round a cycle of states forever"
            raise _Found(Violation("loop", message, self._path(looping)))

    # -- Reporting -------------------------------------------------------------

    def _path(self, index: int) -> list[ev.Event]:
        path: list[ev.Event] = []
        while index >= 0:
            path.append(self.via[index])
            index = self.parents[index]
        return path[::-1]

    def _found(self, index: int, event: ev.Event, rule: str, message: str) -> _Found:
        """The violation of an edge from state `index` on `event`."""
        return _Found(Violation(rule, message, [*self._path(index), event]))


def _classify(error: Exception) -> tuple[str, str]:
    """The rule an exception from `Harness.apply` reports, and its message."""
    if isinstance(error, InvalidTransition):
        return "refused", f"the kernel refused an event the runtime could send: {error}"
    if isinstance(error, LifecycleError):
        return getattr(error, "rule", "error"), str(error)
    return "crash", f"the kernel raised {error!r}"


def verify(
    tasks: int,
    services: int,
    *,
    faults: bool = False,
    autostop: bool = True,
    max_states: int = 5_000_000,
) -> Result:
    """Explore every interleaving of the job `job_shape(tasks, services)`.

    Returns:
        The figures of the search, and its first violation if it found one.
    """
    spec = job_shape(tasks, services, autostop=autostop)
    return Search(spec, faults, max_states).run()
