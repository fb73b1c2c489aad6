"""A real program running a job, for the signal and exit tests to start and kill.

Run as `python -m tests.faults.child SCENARIO DIRECTORY`. Every hook of the
job's service and sink appends a line `who hook` to `DIRECTORY/journal`, so
the parent can count the cleanups after the child is gone; at exit the child
also appends `reason STOP_REASON` and `final STATE OUTCOME forced=BOOL`. It
prints `ready` once items flow, and `stopping` once a stop is under way, so
the parent knows when to send its signals.

Scenarios:

* `submit`: Ctrl-C lands in `submit(autostop=True)` of an endless job;
* `wait`: Ctrl-C lands in `job.wait()`;
* `force`: a slow sink with a long drain; a second Ctrl-C forces it;
* `cli`: the job runs under `lifecycle.cli.main`, which handles SIGTERM;
* `exit-kept`, `exit-dropped`, `exit-raises`, `exit-code`: the program ends
  while its job runs (keeping it, dropping every reference to it, by an
  uncaught exception, by `sys.exit(3)`); the atexit net must stop it.
"""

from __future__ import annotations

import argparse
import atexit
import itertools
import sys
import threading
import time
from pathlib import Path
from typing import Any

from tests.faults.frames import main_thread_in

JOURNAL: Path | None = None
#: The job of this program, once known; the exit note reports it.
_jobs: list[Any] = []
_job_known = threading.Event()


def note(line: str) -> None:
    """Append one line to the journal file, closing it at once."""
    assert JOURNAL is not None
    with JOURNAL.open("a", encoding="utf-8") as journal:
        journal.write(line + "\n")


def say(word: str) -> None:
    print(word, flush=True)


@atexit.register  # registered before lifecycle's handler, so it runs after it
def _note_final() -> None:
    for job in _jobs:
        outcome = job.outcome.name if job.outcome else "None"
        forced = any(record.event == "force_stop" for record in job.history)
        note(f"reason {job.stop_reason}")
        note(f"final {job.state.name} {outcome} forced={forced}")


def build(
    env: Any, *, slow: bool = False, track: bool = True, waits: bool = True
) -> None:
    """An endless source -> sink that calls a service; hooks are journaled.

    Without `track`, nothing the job runs refers to `env` or to the job, so
    dropping them leaves the job reachable from its own threads only. With
    `waits`, `ready` is printed only once the main thread waits on the job,
    where an interrupt is meant to land.
    """
    from lifecycle import Function, Service

    known = (lambda: _track(env.jobs[-1])) if track else None

    class Store(Service):
        def setup(self) -> None:
            note("store setup")

        def put(self, item: int) -> int:
            return item

        def cleanup(self) -> None:
            note("store cleanup")

    class Sink(Function):
        def setup(self) -> None:
            note("sink setup")
            if known is not None:
                known()

        def execute(self, item: int) -> None:
            self.service("store").put(item)
            if item == 10:
                if waits:
                    main_thread_in("_block", "wait_for", limit=10.0)
                say("ready")
            if slow:
                time.sleep(0.05)

        def cleanup(self) -> None:
            note("sink cleanup")

    env.register_service("store", Store)
    env.from_batch(itertools.count()).sink(Sink)


def _track(job: Any) -> None:
    _jobs.append(job)
    _job_known.set()


def announce_stopping() -> None:
    """Print `stopping` once the program's job is stopping."""
    from lifecycle import Phase

    def watch() -> None:
        _job_known.wait()
        _jobs[0].wait(Phase.STOPPING)
        main_thread_in("_tear_down_after_interrupt", "wait_for", limit=10.0)
        say("stopping")

    threading.Thread(target=watch, name="child:watcher", daemon=True).start()


def interrupted(where: str) -> None:
    """Run the job; Ctrl-C is expected in `submit` or in `wait`."""
    from lifecycle import LocalEnvironment

    slow = where == "force"
    with LocalEnvironment("child", stop_timeout=60.0, queue_size=1000) as env:
        build(env, slow=slow)
        announce_stopping()
        if where == "submit":
            env.submit(autostop=True)
        else:
            env.submit(autostop=False).wait()


def add_parser(commands: Any) -> argparse.ArgumentParser:
    """The subcommand the `cli` scenario runs under `lifecycle.cli.main`."""
    parser = commands.add_parser("child-job", help="run the test job")
    parser.add_argument("directory")
    parser.set_defaults(run=_run_under_cli)
    return parser


def _run_under_cli(args: argparse.Namespace) -> int:
    global JOURNAL
    JOURNAL = Path(args.directory) / "journal"
    interrupted("wait")
    return 0


def exit_with_job_running(how: str) -> None:
    """Leave the program while its job runs, as `how` says."""
    from lifecycle import LocalEnvironment, Phase

    def submit_and_drop() -> None:
        env = LocalEnvironment("child", stop_timeout=5.0)
        build(env, track=False, waits=False)
        env.submit(autostop=False).wait(Phase.RUNNING, timeout=10)

    if how == "exit-dropped":
        submit_and_drop()
        return
    env = LocalEnvironment("child", stop_timeout=5.0)
    build(env, waits=False)
    env.submit(autostop=False).wait(Phase.RUNNING, timeout=10)
    if how == "exit-raises":
        raise RuntimeError("the program failed with its job running")
    if how == "exit-code":
        sys.exit(3)


def main(scenario: str, directory: str) -> None:
    global JOURNAL
    JOURNAL = Path(directory) / "journal"
    if scenario in ("submit", "wait", "force"):
        interrupted(scenario)
    elif scenario == "cli":
        import lifecycle.cli

        lifecycle.cli.COMMANDS = ("tests.faults.child",)
        sys.exit(lifecycle.cli.main(["child-job", directory]))
    else:
        exit_with_job_running(scenario)


if __name__ == "__main__":
    main(*sys.argv[1:3])
