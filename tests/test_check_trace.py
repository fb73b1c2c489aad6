"""`lifecycle check-trace`: saved histories load back; bad input gets one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from lifecycle import LocalEnvironment, cli, load_jsonl, save_jsonl
from lifecycle.check_trace import (
    EXIT_ILLEGAL,
    EXIT_INCOMPLETE,
    EXIT_LEGAL,
    EXIT_UNREADABLE,
)
from tests.test_trace import history


@pytest.fixture
def check_trace(monkeypatch, capsys):
    """Run `lifecycle check-trace ARGS`; return (exit code, stdout, stderr)."""
    monkeypatch.setattr(cli, "COMMANDS", ("lifecycle.check_trace",))

    def run(*args: str) -> tuple[int, str, str]:
        code = cli.main(["check-trace", *args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def trace(tmp_path: Path) -> Path:
    """A whole job's history from the pure kernel, saved as JSON Lines."""
    return save_jsonl(history(), tmp_path / "history.jsonl")


def lines_of(path: Path) -> list[str]:
    return path.read_text().splitlines()


def write(path: Path, lines: list[str], end: str = "\n") -> Path:
    path.write_text("\n".join(lines) + end)
    return path


def test_a_real_job_history_round_trips_and_checks(tmp_path, check_trace) -> None:
    """job.history saved and loaded back is equal, and check-trace passes it."""
    with LocalEnvironment("saved", check=True) as env:
        env.from_batch(range(10)).map(lambda x: x * 2).sink(lambda x: None)
        job = env.submit()
    path = save_jsonl(job.history, tmp_path / "job.jsonl")
    assert load_jsonl(path) == job.history
    code, out, err = check_trace(str(path))
    assert code == EXIT_LEGAL and err == ""
    assert f"{len(job.history)} records of job 'saved', all legal" in out
    assert "ends CLEANED" in out


def test_the_stop_order_is_checked_when_given(trace, check_trace) -> None:
    """--depends-on turns on rule 3; the wrong order is an illegal step."""
    assert check_trace(str(trace), "--depends-on", "index=db")[0] == EXIT_LEGAL
    code, _, err = check_trace(str(trace), "--depends-on", "db=index")
    assert code == EXIT_ILLEGAL and "rule 3" in err


def test_a_malformed_depends_on_is_refused(trace, check_trace) -> None:
    """--depends-on without '=' is an argument error, exit 2."""
    code, _, err = check_trace(str(trace), "--depends-on", "index")
    assert code == EXIT_UNREADABLE and "SERVICE=NEEDED" in err


def test_the_first_illegal_step_is_reported_with_its_line(trace, check_trace):
    """A record whose event is no row is reported with its line, exit 1."""
    lines = lines_of(trace)
    number = drained(lines)
    code, out, err = check_trace(str(write(trace, lines)))
    assert code == EXIT_ILLEGAL and out == ""
    assert err.startswith(
        f"lifecycle check-trace: {trace}:{number}: illegal step: table:"
    )
    assert err.count("\n") == 1


def drained(lines: list[str]) -> int:
    """Turn the first `drained` record into a `stopped` one; return its line."""
    index = next(n for n, line in enumerate(lines) if '"event":"drained"' in line)
    lines[index] = lines[index].replace('"event":"drained"', '"event":"stopped"')
    return index + 1


def broken(lines: list[str], number: int, text: str) -> list[str]:
    """`lines` with line `number` (from 1) replaced by `text`."""
    return [*lines[: number - 1], text, *lines[number:]]


@pytest.mark.parametrize(
    ("mutate", "line", "words"),
    [
        (lambda ls: broken(ls, 3, "this is not json"), 3, "not JSON"),
        (lambda ls: broken(ls, 3, ls[2].replace('"running"', '"runing"')), 3,
         "unknown dest 'runing'"),
        (lambda ls: broken(ls, 4, ls[3].replace('"service"', '"servise"')), 4,
         "unknown kind 'servise'"),
        (lambda ls: broken(ls, 5, ls[4].replace('"seq":5', '"seq":2')), 5,
         "seq 2 comes after seq 4"),
        (lambda ls: broken(ls, 2, '{"seq": 2}'), 2, "'time' is missing"),
        (lambda ls: broken(ls, 2, ls[1][:-1] + ',"colour":"red"}'), 2,
         "unknown field 'colour'"),
        (lambda ls: broken(ls, 2, "[1, 2]"), 2, "expected a JSON object"),
        (lambda ls: broken(ls, 2, ls[1].replace('"seq":2', '"seq":"two"')), 2,
         "field 'seq'"),
    ],
)  # fmt: skip
def test_bad_lines_get_one_line_with_the_line_number(
    trace, check_trace, mutate, line, words
) -> None:
    """Each kind of bad line: exit 2, one line naming the file, line and fault."""
    code, out, err = check_trace(str(write(trace, mutate(lines_of(trace)))))
    assert code == EXIT_UNREADABLE and out == ""
    assert err.startswith(f"lifecycle check-trace: {trace}:{line}: ")
    assert words in err and err.count("\n") == 1 and "Traceback" not in err


def test_a_truncated_file_is_named_as_such(trace, check_trace) -> None:
    """A last line cut in the middle of a record says the file is truncated."""
    text = trace.read_text()
    trace.write_text(text[: len(text) - 40])
    last = len(lines_of(trace))
    code, _, err = check_trace(str(trace))
    assert code == EXIT_UNREADABLE
    assert f":{last}: the last line is cut short" in err and "truncated" in err


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda p: p.write_text(""), "the file is empty"),
        (lambda p: p.write_text("\n\n  \n"), "the file is empty"),
        (lambda p: None, "no such file"),
        (lambda p: p.mkdir(), "is a directory"),
        (lambda p: p.write_bytes(b"\xff\xfe\x00bad"), "not UTF-8 text"),
    ],
)
def test_unreadable_files_get_one_line(tmp_path, check_trace, make, words) -> None:
    """Empty, missing, a directory, not text: exit 2 and one line, no traceback."""
    path = tmp_path / "trace.jsonl"
    make(path)
    code, out, err = check_trace(str(path))
    assert code == EXIT_UNREADABLE and out == ""
    assert err == f"lifecycle check-trace: {path}: {words}" + err.split(words, 1)[1]
    assert err.count("\n") == 1 and "Traceback" not in err


def test_blank_lines_are_skipped_and_lines_still_counted(trace, check_trace):
    """Blank lines are allowed; line numbers count them."""
    lines = lines_of(trace)
    lines.insert(2, "")
    number = drained(lines)
    code, _, err = check_trace(str(write(trace, lines)))
    assert code == EXIT_ILLEGAL and f"{trace}:{number}:" in err


def test_a_path_through_a_file_cannot_be_read(tmp_path, check_trace) -> None:
    """Any other OS error is one line too, with the system's reason."""
    (tmp_path / "plain").write_text("x")
    path = tmp_path / "plain" / "trace.jsonl"
    code, _, err = check_trace(str(path))
    assert code == EXIT_UNREADABLE
    assert err == f"lifecycle check-trace: {path}: cannot be read: Not a directory\n"


def test_the_diagram_of_a_trace_is_written_even_when_a_step_is_illegal(
    trace, check_trace, tmp_path
) -> None:
    """--diagram draws the recorded run, the same as job.diagram() would."""
    from lifecycle.diagrams import run_diagram

    legal = tmp_path / "legal.mmd"
    code, _, _ = check_trace(str(trace), "--diagram", str(legal))
    assert code == EXIT_LEGAL
    assert legal.read_text() == run_diagram(load_jsonl(trace))

    lines = lines_of(trace)
    drained(lines)
    illegal = tmp_path / "illegal.mmd"
    code, _, _ = check_trace(str(write(trace, lines)), "--diagram", str(illegal))
    assert code == EXIT_ILLEGAL
    assert illegal.read_text() == run_diagram(load_jsonl(trace))
    assert illegal.read_text() != legal.read_text()


def test_a_diagram_that_cannot_be_written_gets_one_line(
    trace, check_trace, tmp_path
) -> None:
    """A diagram path in a missing folder: exit 2 and one line, no traceback."""
    target = tmp_path / "missing" / "run.mmd"
    code, out, err = check_trace(str(trace), "--diagram", str(target))
    assert code == EXIT_UNREADABLE and out == ""
    assert err.startswith("lifecycle check-trace: cannot write the diagram:")
    assert err.count("\n") == 1


def test_a_trace_cut_at_a_line_boundary_is_incomplete(trace, check_trace) -> None:
    """`head -20 history.jsonl`: exit 1, one line naming the last line read."""
    cut = write(trace, lines_of(trace)[:20])
    code, out, err = check_trace(str(cut))
    assert code == EXIT_INCOMPLETE == 1 and out == ""
    assert err.startswith(f"lifecycle check-trace: {trace}:20: the trace ends ")
    assert "before the job did" in err and "--partial" in err
    assert err.count("\n") == 1


def test_partial_accepts_a_trace_that_stops_early(trace, check_trace) -> None:
    """--partial checks the records there are and says the job had not ended."""
    cut = write(trace.with_name("head.jsonl"), lines_of(trace)[:20])
    code, out, err = check_trace(str(cut), "--partial")
    assert code == EXIT_LEGAL and err == ""
    assert "20 records of job" in out and "all legal" in out
    assert "not terminal" in out
    code, out, _ = check_trace(str(trace), "--partial")
    assert code == EXIT_LEGAL and "ends CLEANED" in out
