"""`lifecycle demo`: answer Python's help questions from its help topics.

Exit codes: 0 when the job succeeded and every component (each task, each
service and the dispatcher) is CLEANED; 1 when the job ran but failed or
left something not cleaned; 2 when it could not run (the output directory
cannot be written, or sqlite3 lacks FTS5). Every non-zero exit prints one
line saying why on stderr.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lifecycle.components import Outcome
from lifecycle.demo.index import Fts5Unavailable, require_fts5
from lifecycle.demo.pipeline import (
    ANSWERS,
    HISTORY,
    MEMORY,
    RUN_DIAGRAM,
    DemoRun,
    run_demo,
)
from lifecycle.demo.report import hit_rate, phase_table
from lifecycle.job import Job
from lifecycle.phases import Phase

EXIT_FAILED = 1
EXIT_CANNOT_RUN = 2


def add_parser(commands) -> argparse.ArgumentParser:
    """Add the `demo` subcommand to `commands` (an argparse subparsers object)."""
    parser = commands.add_parser(
        "demo",
        help="run the demo job on Python's own help topics",
        description=(
            "Index CPython's help topics (pydoc_data) in SQLite FTS5, answer "
            "every help keyword and symbol with a parallel retrieval task, "
            "record each answer in a SQLite memory store, and report hit@1 "
            "against pydoc's own mapping and each component's phase times."
        ),
        epilog=(
            "Exit status: 0 when the job succeeded and every component is "
            "CLEANED; 1 when the job failed or left one not cleaned; 2 when it "
            "could not run. See docs/demo.md."
        ),
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("lifecycle-demo"),
        metavar="DIR",
        help=f"directory for {ANSWERS}, {MEMORY}, {HISTORY} and {RUN_DIAGRAM}, "
        "replaced if "
        "present (default: ./lifecycle-demo)",
    )
    parser.add_argument(
        "--parallelism",
        type=_positive,
        default=4,
        metavar="N",
        help="retrieval tasks answering questions side by side (default: 4)",
    )
    parser.add_argument(
        "--limit",
        type=_positive,
        default=None,
        metavar="N",
        help="ask only the first N questions (default: all)",
    )
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Run the demo as `args` say; print the summary; return the exit code."""
    try:
        require_fts5()
        _prepare(args.out)
    except (Fts5Unavailable, OSError) as error:
        return _fail(EXIT_CANNOT_RUN, str(error))
    demo = run_demo(args.out, parallelism=args.parallelism, limit=args.limit)
    print(summary(demo, args.out))
    return _verdict(demo)


def summary(demo: DemoRun, out: Path) -> str:
    """The text `lifecycle demo` prints after a run."""
    job, answers = demo.job, demo.answers
    hits = sum(answer["hit"] for answer in answers)
    outcome = job.outcome.name if job.outcome else "none"
    rows = [("dispatcher", job.state, job.phase_times)]
    for view in (*job.services.values(), *job.tasks.values()):
        rows.append((view.name, view.state, view.phase_times))
    return "\n".join(
        [
            f"lifecycle demo: job {job.name!r} {outcome}, {job.state.name}",
            f"questions  {demo.questions} asked, {len(answers)} answered",
            f"hit@1      {hit_rate(answers):.3f} ({hits}/{len(answers)}); "
            f"{hit_rate(answers, 'related_hit'):.3f} counting a symbol's "
            f"related topics",
            f"wall time  {demo.seconds:.2f} s",
            f"outputs    {_outputs(out, len(job.history))}",
            "",
            "time in each phase (ms):",
            phase_table(rows),
        ]
    )


def _outputs(out: Path, transitions: int) -> str:
    """The output files the run wrote, as the summary lists them.

    A failed run may not have written them all (the sink never set up, say),
    so only the files that exist are named.
    """
    names = (ANSWERS, MEMORY, HISTORY, RUN_DIAGRAM)
    written = [name for name in names if (out / name).is_file()]
    if not written:
        return f"none written in {out}"
    if HISTORY in written:
        written[written.index(HISTORY)] += f" ({transitions} transitions)"
    return f"{', '.join(written)} in {out}"


def _verdict(demo: DemoRun) -> int:
    """0 if the job succeeded and everything is CLEANED; else say why."""
    job = demo.job
    if job.outcome is not Outcome.SUCCEEDED:
        return _fail(EXIT_FAILED, f"job {job.name!r} {_outcome(job)}")
    views = [*job.services.values(), *job.tasks.values()]
    unclean = [
        f"{v.name} is {v.state.name}" for v in views if v.state is not Phase.CLEANED
    ]
    if job.state is not Phase.CLEANED:
        unclean.insert(0, f"the dispatcher is {job.state.name}")
    if unclean:
        return _fail(EXIT_FAILED, "not everything was cleaned: " + "; ".join(unclean))
    return 0


def _outcome(job: Job) -> str:
    """How the job ended, with its first error and where it happened."""
    if job.outcome is None:
        return f"did not end (it is {job.state.name})"
    text = job.outcome.name.lower()
    if job.failures:
        first = job.failures[0]
        message = str(first.error).splitlines()[0] if str(first.error) else ""
        text += (
            f": {first.kind.value} {first.component!r} in {first.phase.name} "
            f"raised {type(first.error).__name__}: {message}"
        )
    return text


def _prepare(out: Path) -> None:
    """Create `out` and remove the outputs of an earlier run.

    Raises:
        OSError: `out` cannot be created or written; the message names it.
    """
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name in (ANSWERS, HISTORY, RUN_DIAGRAM):
            (out / name).unlink(missing_ok=True)
        probe = out / ".lifecycle-demo-probe"
        probe.touch()
        probe.unlink()
    except OSError as error:
        reason = error.strerror or str(error)
        raise OSError(
            f"cannot write the demo's outputs to {out}: {reason}; pass a "
            f"writable directory with --out DIR"
        ) from None


def _fail(code: int, reason: str) -> int:
    print(f"lifecycle demo: {reason}", file=sys.stderr)
    return code


def _positive(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text}")
    return number
