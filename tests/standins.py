"""A stand-in model for driving the real machines without a kernel."""

from __future__ import annotations

from dataclasses import dataclass

from lifecycle.phases import Phase


@dataclass
class Model:
    """A component or kernel stand-in: a phase, and every guard as a flag."""

    state: Phase = Phase.CREATED
    set_up: bool = True
    all_started: bool = True
    must_stop: bool = True
    input_ended: bool = True
    tasks_stopped: bool = True
    teardown_wanted: bool = True
    all_cleaned: bool = True
    some_failed: bool = True
