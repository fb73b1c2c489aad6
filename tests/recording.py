"""Services and functions for tests that record what happened to them."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from lifecycle import Function, Service


class Journal:
    """A thread-safe list of (who, what) entries, in the order they happened."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.entries: list[tuple[str, str]] = []

    def add(self, who: str, what: str) -> None:
        with self._lock:
            self.entries.append((who, what))

    def count(self, what: str) -> Counter[str]:
        """How many times each component logged `what`."""
        return Counter(who for who, done in self.entries if done == what)

    def order(self, what: str) -> list[str]:
        """The components that logged `what`, in order."""
        return [who for who, done in self.entries if done == what]


class Recorded(Service):
    """A service that journals its hooks and echoes calls."""

    def __init__(self, name: str, journal: Journal, **faults: Any) -> None:
        self.name = name
        self.journal = journal
        self.faults = faults
        self.thread: threading.Thread | None = None

    def _hook(self, hook: str) -> None:
        self.journal.add(self.name, hook)
        fault = self.faults.get(hook)
        if isinstance(fault, BaseException):
            raise fault
        if isinstance(fault, threading.Event):
            fault.wait(30)

    def setup(self) -> None:
        self.thread = threading.current_thread()
        self._hook("setup")

    def start(self) -> None:
        self._hook("start")

    def stop(self) -> None:
        self._hook("stop")

    def cleanup(self) -> None:
        self._hook("cleanup")

    def echo(self, item: Any) -> Any:
        return item

    def whose_thread(self) -> str:
        return threading.current_thread().name


class CallsService(Function):
    """Calls `echo` on the service it is given, for every item."""

    def __init__(self, service: str) -> None:
        self.name = service

    def execute(self, item: Any) -> Any:
        return self.service(self.name).echo(item)
