"""The `lifecycle` command: `demo`, `diagrams`, `check-trace`, `verify`.

Each subcommand lives in its own module, which defines `add_parser(commands)`
returning its parser with a `run(args) -> int` default. This is the one place
that installs signal handlers: SIGTERM becomes an interrupt, so a running job
tears down as on Ctrl-C, and the exit code is the conventional 128 + signal.
Output into a closed pipe (`lifecycle demo | head -3`) ends the command
quietly, with 128 + SIGPIPE, as a shell tool killed by SIGPIPE would.
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
from collections.abc import Sequence
from types import FrameType

#: Modules that each add one subcommand.
COMMANDS = (
    "lifecycle.demo.command",
    "lifecycle.diagrams.command",
    "lifecycle.verify.command",
    "lifecycle.check_trace",
)

EXIT_INTERRUPTED = 128 + signal.SIGINT
EXIT_TERMINATED = 128 + signal.SIGTERM
EXIT_BROKEN_PIPE = 128 + signal.SIGPIPE


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised as an interrupt so that running jobs tear down."""


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lifecycle",
        description="State-machine lifecycles for dataflow pipelines.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for module in COMMANDS:
        importlib.import_module(module).add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `lifecycle` command; return its exit code.

    SIGTERM is handled as an interrupt only while the command runs; the
    previous handler is restored afterwards.
    """
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        args = build_parser().parse_args(argv)
        return int(args.run(args))
    except Terminated:
        print("lifecycle: terminated; jobs were torn down", file=sys.stderr)
        return EXIT_TERMINATED
    except KeyboardInterrupt:
        print("lifecycle: interrupted; jobs were torn down", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    finally:
        signal.signal(signal.SIGTERM, previous)


def _silence_stdout() -> None:
    """Point stdout at the null device, so the exit's flush does not fail too.

    The reader of our output went away (`| head`); what is still buffered
    has nowhere to go.
    """
    try:
        descriptor = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return  # not a real file (a test's capture): nothing is flushed at exit
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, descriptor)
    os.close(null)


if __name__ == "__main__":
    sys.exit(main())
