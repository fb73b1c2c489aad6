"""Shared fixtures: every test checks that no lifecycle thread outlives it."""

from __future__ import annotations

import threading
import time

import pytest


def lifecycle_threads() -> list[threading.Thread]:
    """Threads of lifecycle still alive, abandoned ones aside."""
    return [
        thread
        for thread in threading.enumerate()
        if thread.name.startswith("lifecycle:") and "(abandoned)" not in thread.name
    ]


@pytest.fixture(autouse=True)
def no_leaked_threads():
    """Fail a test that leaves a lifecycle thread running."""
    yield
    deadline = time.monotonic() + 5.0
    for thread in lifecycle_threads():
        thread.join(max(0.0, deadline - time.monotonic()))
    leaked = [thread.name for thread in lifecycle_threads()]
    assert not leaked, f"lifecycle threads left running: {leaked}"
