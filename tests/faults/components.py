"""Services, functions and sources that fail on cue, journaling every hook.

A fault is an exception instance (the hook raises it) or a `Hang` (the hook
blocks until the test releases it, at most `HANG_LIMIT` seconds). Each
hook journals `hook` when it is entered and `hook returned` when it returned,
so a test can tell whose setup returned and count the cleanups that ran.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from typing import Any

from lifecycle import Function
from tests.recording import Journal, Recorded

#: The longest a hung hook blocks; tests release every hang long before.
HANG_LIMIT = 30.0


class InjectedError(Exception):
    """The error a fault case injects, told apart from any other."""


class Hang:
    """A fault that blocks its hook until the test releases it."""

    def __init__(self) -> None:
        #: Set once a hook started hanging.
        self.struck = threading.Event()
        self._released = threading.Event()

    def block(self) -> None:
        self.struck.set()
        self._released.wait(HANG_LIMIT)

    def release(self) -> None:
        """Let the hung hook return."""
        self._released.set()


Fault = BaseException | Hang


def strike(journal: Journal, who: str, hook: str, fault: Fault | None) -> None:
    """Journal `hook`, then raise or hang as `fault` says, then journal its return."""
    journal.add(who, hook)
    if isinstance(fault, BaseException):
        raise fault
    if isinstance(fault, Hang):
        fault.block()
    journal.add(who, f"{hook} returned")


class FaultyService(Recorded):
    """A `Recorded` service that also journals each hook's return."""

    def _hook(self, hook: str) -> None:
        strike(self.journal, self.name, hook, self.faults.get(hook))

    def slow(self, gate: Hang) -> str:
        """Answer once `gate` is released; a call that overruns its timeout."""
        gate.block()
        return "late"

    def mark(self) -> None:
        """Journal `mark`: shows whether a call was run."""
        self.journal.add(self.name, "mark")

    def fail(self) -> None:
        """A method that raises, to show the error reaches the caller."""
        raise InjectedError(f"{self.name}.fail")


class FaultyFunction(Function):
    """An operator that journals its hooks and fails on cue.

    Args:
        name: the name it journals under.
        journal: where to journal.
        out: items are appended to it, if given (a sink).
        call: the service whose `echo` each item goes through, if given.
        at: the item on which an `execute` fault strikes.
        faults: hook name (`setup`, `execute`, `cleanup`) to fault.
    """

    def __init__(
        self,
        name: str,
        journal: Journal,
        *,
        out: list[Any] | None = None,
        call: str | None = None,
        at: Any = 0,
        **faults: Fault,
    ) -> None:
        self.name = name
        self.journal = journal
        self.out = out
        self.call = call
        self.at = at
        self.faults = faults

    def setup(self) -> None:
        strike(self.journal, self.name, "setup", self.faults.get("setup"))

    def execute(self, item: Any) -> Any:
        if item == self.at and "execute" in self.faults:
            strike(self.journal, self.name, "execute", self.faults["execute"])
        if self.call is not None:
            item = self.service(self.call).echo(item)
        if self.out is not None:
            self.out.append(item)
        return item

    def cleanup(self) -> None:
        strike(self.journal, self.name, "cleanup", self.faults.get("cleanup"))


class FaultySource:
    """The items of a source: `iter()` is its setup, `next()` its work.

    Args:
        journal: where to journal (as `source`, hooks `iter` and `next`).
        count: how many items, or None for an endless source.
        at: the item before which a `next` fault strikes.
        faults: `iter` or `next` to fault.
    """

    def __init__(
        self,
        journal: Journal,
        count: int | None = 20,
        *,
        at: int = 0,
        **faults: Fault,
    ) -> None:
        self.journal = journal
        self.count = count
        self.at = at
        self.faults = faults
        #: Every item handed to the pipeline, in order.
        self.emitted: list[int] = []

    def __iter__(self) -> Iterator[int]:
        strike(self.journal, "source", "iter", self.faults.get("iter"))
        return self._items()

    def _items(self) -> Iterator[int]:
        numbers = itertools.count() if self.count is None else range(self.count)
        for item in numbers:
            if item == self.at and "next" in self.faults:
                strike(self.journal, "source", "next", self.faults["next"])
            self.emitted.append(item)
            yield item
