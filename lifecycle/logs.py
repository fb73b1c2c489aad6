"""The library's loggers: structlog on top of the standard `lifecycle` logger.

lifecycle never configures logging. Unconfigured structlog prints every level
to standard output, so the library's structlog loggers wrap the standard
`logging` logger named `lifecycle`, which has a `NullHandler` and is silent
until the application configures logging (or structlog) to show it.

Debug events are built only when that logger is enabled for debug, so a job
pays nothing for its per-transition log lines while nobody listens.
"""

from __future__ import annotations

import logging
from typing import Any

import structlog

LOGGER_NAME = "lifecycle"

_stdlib_logger = logging.getLogger(LOGGER_NAME)
_stdlib_logger.addHandler(logging.NullHandler())


def get_logger(**bound: Any) -> Any:
    """A structlog logger writing through the standard `lifecycle` logger.

    Args:
        bound: fields bound to every event of this logger (e.g. `job`).
    """
    logger = structlog.wrap_logger(
        _stdlib_logger, wrapper_class=structlog.stdlib.BoundLogger
    )
    return logger.bind(**bound) if bound else logger


def debug_enabled() -> bool:
    """True when the `lifecycle` logger would emit a debug event."""
    return _stdlib_logger.isEnabledFor(logging.DEBUG)
