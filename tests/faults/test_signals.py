"""Ctrl-C, SIGTERM and interpreter exit, in a real child process running a job.

The child (`tests.faults.child`) journals its service's and sink's hooks to a
file, so the cleanups can be counted once it is gone.
"""

from __future__ import annotations

import queue
import signal
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest

from lifecycle import LocalEnvironment
from tests.faults.checks import BOUND

ROOT = Path(__file__).resolve().parents[2]


class Child:
    """A child process running one scenario of `tests.faults.child`."""

    def __init__(self, scenario: str, directory: Path) -> None:
        self.directory = directory
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.faults.child", scenario, str(directory)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._lines: queue.Queue[str] = queue.Queue()
        self._reader = threading.Thread(
            target=self._read, name="test:stdout", daemon=True
        )
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line.strip())

    def expect(self, word: str) -> None:
        """Wait until the child prints `word`."""
        try:
            assert self._lines.get(timeout=BOUND) == word
        except queue.Empty:
            self.process.kill()
            raise AssertionError(f"the child never printed {word!r}") from None

    def signal(self, number: int) -> None:
        self.process.send_signal(number)

    def finish(self) -> tuple[int, str]:
        """Wait for the child to exit; return its exit code and standard error."""
        try:
            self.process.wait(timeout=BOUND)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise AssertionError(f"the child did not exit within {BOUND} s") from None
        self._reader.join(BOUND)  # the reader owns stdout until it ends
        assert self.process.stderr is not None
        return self.process.returncode, self.process.stderr.read()

    def journal(self) -> list[str]:
        path = self.directory / "journal"
        return path.read_text().splitlines() if path.exists() else []


def cleaned_once(journal: list[str]) -> bool:
    """The service and the sink were each set up, then cleaned exactly once."""
    counts = Counter(journal)
    hooks = ("store setup", "sink setup", "store cleanup", "sink cleanup")
    return all(counts[hook] == 1 for hook in hooks)


@pytest.mark.parametrize("where", ["submit", "wait"])
def test_ctrl_c_tears_the_job_down_then_reraises(where: str, tmp_path: Path) -> None:
    """Ctrl-C in submit or wait: a graceful teardown, then KeyboardInterrupt."""
    child = Child(where, tmp_path)
    child.expect("ready")
    child.signal(signal.SIGINT)
    code, stderr = child.finish()

    assert code == -signal.SIGINT
    assert "KeyboardInterrupt" in stderr
    assert cleaned_once(child.journal())
    assert child.journal()[-1] == "final CLEANED CANCELLED forced=False"


def test_a_second_ctrl_c_forces_a_slow_drain(tmp_path: Path) -> None:
    """The first Ctrl-C starts a long drain; the second forces it, then exits."""
    child = Child("force", tmp_path)
    child.expect("ready")
    child.signal(signal.SIGINT)
    child.expect("stopping")
    child.signal(signal.SIGINT)
    code, _ = child.finish()

    assert code == -signal.SIGINT
    assert cleaned_once(child.journal())
    assert child.journal()[-1] == "final CLEANED CANCELLED forced=True"
    assert child.journal()[-2] == "reason interrupt: KeyboardInterrupt"


@pytest.mark.parametrize(
    ("number", "code", "said"),
    [(signal.SIGTERM, 143, "terminated"), (signal.SIGINT, 130, "interrupted")],
)
def test_the_command_line_tears_down_on_a_signal_and_exits_with_its_code(
    number: int, code: int, said: str, tmp_path: Path
) -> None:
    """Under `lifecycle.cli.main`, SIGTERM and SIGINT tear down, exit 128 + signal."""
    child = Child("cli", tmp_path)
    child.expect("ready")
    child.signal(number)
    exit_code, stderr = child.finish()

    assert exit_code == code
    assert f"lifecycle: {said}; jobs were torn down" in stderr
    assert cleaned_once(child.journal())
    assert child.journal()[-1] == "final CLEANED CANCELLED forced=False"
    interrupt = "Terminated" if number == signal.SIGTERM else "KeyboardInterrupt"
    assert child.journal()[-2] == f"reason interrupt: {interrupt}"


def test_outside_the_command_line_sigterm_keeps_its_default_action(
    tmp_path: Path,
) -> None:
    """The library installs no SIGTERM handler: the program dies at once."""
    child = Child("wait", tmp_path)
    child.expect("ready")
    child.signal(signal.SIGTERM)
    code, _ = child.finish()

    assert code == -signal.SIGTERM
    assert "store cleanup" not in child.journal()


@pytest.mark.parametrize(
    ("scenario", "code", "final"),
    [
        ("exit-kept", 0, "final CLEANED CANCELLED forced=False"),
        ("exit-dropped", 0, None),
        ("exit-raises", 1, "final CLEANED CANCELLED forced=False"),
        ("exit-code", 3, "final CLEANED CANCELLED forced=False"),
    ],
)
def test_the_exit_net_stops_a_job_still_running(
    scenario: str, code: int, final: str | None, tmp_path: Path
) -> None:
    """A program that ends with its job running still cleans everything once."""
    child = Child(scenario, tmp_path)
    exit_code, stderr = child.finish()

    assert exit_code == code, stderr
    assert cleaned_once(child.journal())
    if final is not None:
        assert child.journal()[-1] == final


def test_running_a_job_installs_no_signal_handler() -> None:
    """SIGINT and SIGTERM handlers are the same before and after a job."""
    before = (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM))
    with LocalEnvironment("no-handlers", check=True) as env:
        env.from_batch(range(3)).sink(lambda item: None)
        env.submit()
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before
