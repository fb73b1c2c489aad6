"""Knowing where the main thread is, so a signal lands where a test means it to.

A signal sent to the main thread raises there at once, wherever it is. A test
that means to interrupt `job.wait()` must first know the main thread is
inside it, not a few lines before; on a busy machine "items are flowing" does
not say so. This module imports nothing from lifecycle, so the child program
can use it before lifecycle registers its exit handler.
"""

from __future__ import annotations

import sys
import threading
import time


def main_thread_in(*functions: str, limit: float) -> bool:
    """Wait until the main thread's stack holds a frame of each of `functions`.

    Returns:
        True once it does; False if `limit` seconds passed first.
    """
    main = threading.main_thread().ident
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        frame = sys._current_frames().get(main)
        names = set()
        while frame is not None:
            names.add(frame.f_code.co_name)
            frame = frame.f_back
        if set(functions) <= names:
            return True
        time.sleep(0.005)
    return False
