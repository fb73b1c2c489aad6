"""The README's example runs as written and prints what it says."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_readme_example_runs_and_succeeds() -> None:
    """The first Python block of the README runs to a clean, successful job."""
    text = README.read_text()
    example = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    done = subprocess.run(
        [sys.executable, "-c", example], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert sorted(lines[:2]) == ["WHAT", "WHY"]
    assert lines[2] == "Phase.CLEANED Outcome.SUCCEEDED"


def test_ci_runs_the_readme_test_command() -> None:
    """.ci/run takes its test command from the README, so the two cannot drift."""
    ci = (README.parent / ".ci" / "run").read_text()
    assert "grep -m1 \"pip install -q '.\\[test\\]'\" README.md" in ci
    assert "--cov-fail-under=90" in README.read_text().splitlines()[4]
