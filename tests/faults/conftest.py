"""Every fault case also fails if the runtime logged an error of its own."""

from __future__ import annotations

import logging

import pytest

#: Error log lines that mean a bug in lifecycle, not a fault of the job.
INTERNAL = ("refused event", "kernel failed", "command failed")


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture(autouse=True)
def no_internal_errors():
    """Fail a case during which lifecycle refused an event or its kernel failed."""
    collect = _Collect()
    logger = logging.getLogger("lifecycle")
    logger.addHandler(collect)
    try:
        yield
    finally:
        logger.removeHandler(collect)
    internal = [m for m in collect.messages if any(k in m for k in INTERNAL)]
    assert not internal, "lifecycle logged internal errors:\n" + "\n".join(internal)
