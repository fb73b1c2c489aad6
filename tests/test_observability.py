"""Logs and history: one structured event per transition, silent by default."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap

import pytest
import structlog

from lifecycle import LocalEnvironment, Phase, TransitionRecord, load_jsonl, save_jsonl

FIELDS = {"job", "component", "kind", "event", "source", "dest"}


def run_small_job(name: str) -> object:
    with LocalEnvironment(name, check=True) as env:
        env.from_batch(range(5)).map(lambda item: item + 1).sink(lambda item: None)
        return env.submit()


def test_each_transition_is_one_debug_event_with_its_fields(caplog) -> None:
    """With the lifecycle logger at debug, every history record is logged once."""
    caplog.set_level(logging.DEBUG, logger="lifecycle")
    with structlog.testing.capture_logs() as logs:
        job = run_small_job("logged")
    transitions = [log for log in logs if "seq" in log]
    assert len(transitions) == len(job.history)
    for log, record in zip(transitions, job.history, strict=True):
        assert log.keys() >= FIELDS
        assert log["log_level"] == "debug"
        assert (log["seq"], log["event"], log["component"]) == (
            record.seq,
            record.event,
            record.component,
        )
        assert (log["source"], log["dest"]) == (record.source.name, record.dest.name)


def test_nothing_is_logged_while_the_logger_is_not_enabled(caplog) -> None:
    """At the default level no per-transition event is built at all."""
    caplog.set_level(logging.WARNING, logger="lifecycle")
    with structlog.testing.capture_logs() as logs:
        run_small_job("quiet")
    assert logs == []


def test_an_unconfigured_application_sees_no_library_output() -> None:
    """lifecycle prints nothing when the application configured no logging."""
    code = textwrap.dedent(
        """
        from lifecycle import LocalEnvironment
        with LocalEnvironment("silent") as env:
            env.from_batch(range(3)).sink(lambda item: None)
            job = env.submit()
        print("outcome", job.outcome.name)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "outcome SUCCEEDED\n"
    assert done.stderr == ""


def test_history_records_every_transition_in_order() -> None:
    """Sequence numbers increase by one, and each component's records chain."""
    job = run_small_job("ordered")
    history = job.history
    assert [r.seq for r in history] == list(range(1, len(history) + 1))
    assert all(isinstance(r, TransitionRecord) for r in history)
    last: dict[str, Phase] = {}
    for record in history:
        if record.component in last:
            assert record.source is last[record.component]
        last[record.component] = record.dest
    assert set(last.values()) == {Phase.CLEANED}


def test_history_round_trips_through_json_lines(tmp_path) -> None:
    """A saved history loads back equal, record for record."""
    job = run_small_job("saved")
    path = save_jsonl(job.history, tmp_path / "history.jsonl")
    assert load_jsonl(path) == job.history
    assert len(path.read_text().splitlines()) == len(job.history)


def test_a_corrupt_history_line_is_refused(tmp_path) -> None:
    """Loading a line that is not a record raises a validation error."""
    path = tmp_path / "bad.jsonl"
    path.write_text('{"seq": 1, "event": "start"}\n')
    with pytest.raises(ValueError, match="validation error"):
        load_jsonl(path)


def test_an_application_logging_at_info_sees_no_line_per_transition() -> None:
    """With the root logger at INFO, a job logs nothing (transitions included)."""
    code = textwrap.dedent(
        """
        import logging
        logging.basicConfig(level=logging.INFO)
        from lifecycle import LocalEnvironment
        with LocalEnvironment("info") as env:
            env.from_batch(range(3)).sink(lambda item: None)
            env.submit()
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and done.stderr == ""
