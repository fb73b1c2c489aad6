"""Every fault case also fails if the runtime logged an error of its own, or if
it left a job running (which is then stopped, so the next case starts clean)."""

from __future__ import annotations

import logging

import pytest

from lifecycle import job as job_module
from lifecycle.events import StopOrigin

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


def _running_jobs() -> set:
    return {job for job in job_module.live_jobs() if not job.state.terminal}


@pytest.fixture(autouse=True)
def no_job_left_running():
    """Fail a case that left a job running, after stopping it.

    Without this, one failed case whose endless job runs on would fail every
    later case on its leftover threads.
    """
    before = _running_jobs()
    yield
    left = _running_jobs() - before
    for job in left:
        job._close(StopOrigin.CLOSE)
    assert not left, f"jobs left running: {sorted(job.name for job in left)}"
