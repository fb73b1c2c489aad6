"""Hypothesis profiles for the property tests.

`ci` (the default) keeps the suite to a few seconds per test; `dev` and
`thorough` look harder. Choose one with `HYPOTHESIS_PROFILE=thorough pytest`.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_COMMON = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow],
    "print_blob": True,
}

settings.register_profile("ci", max_examples=150, stateful_step_count=60, **_COMMON)
settings.register_profile("dev", max_examples=500, stateful_step_count=80, **_COMMON)
settings.register_profile(
    "thorough", max_examples=5000, stateful_step_count=120, **_COMMON
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
