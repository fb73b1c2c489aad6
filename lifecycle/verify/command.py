"""`lifecycle verify --tasks N --services M [--faults]`: check every interleaving.

The job checked is `job_shape(N, M)`: tasks t1 (the source) -> t2 -> ... ->
tN, and services s1 <- s2 <- ... <- sM (each depends on the one before).
Without `--faults` only normal outcomes are explored (and, without autostop,
the stop that releases the parked job); with it, also setups, work, stops
and cleanups that raise, deadlines that run out, and stops and force-stops
at any time, repeated.

Exit codes: 0 every rule holds; 1 a violation (its shortest event sequence is
printed); 2 bad arguments.
"""

from __future__ import annotations

import argparse
import resource
import sys

from lifecycle.verify.explore import Result, Search, job_shape

EXIT_HOLDS = 0
EXIT_VIOLATION = 1

_AUTOSTOP = {"on": (True,), "off": (False,), "both": (True, False)}


def _count(least: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if value < least:
            raise argparse.ArgumentTypeError(f"{value} is less than {least}")
        return value

    return parse


def add_parser(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add `verify` to the `lifecycle` command."""
    parser = commands.add_parser(
        "verify",
        help="check every interleaving of events of a small job",
        description=__doc__.split("\n\n")[1],
        epilog="Exit codes: 0 every rule holds, 1 violation, 2 bad arguments.",
    )
    parser.add_argument("--tasks", type=_count(1), default=2, metavar="N")
    parser.add_argument("--services", type=_count(0), default=1, metavar="M")
    parser.add_argument(
        "--faults", action="store_true", help="also raises, overruns and stops"
    )
    parser.add_argument(
        "--autostop",
        choices=sorted(_AUTOSTOP),
        default="both",
        help="explore the job with autostop on, off, or both (default)",
    )
    parser.add_argument(
        "--max-states",
        type=_count(1),
        default=5_000_000,
        metavar="K",
        help="give up past this many states (default 5000000)",
    )
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Run the searches the arguments ask for; print the figures."""
    for autostop in _AUTOSTOP[args.autostop]:
        spec = job_shape(args.tasks, args.services, autostop=autostop)
        print(_describe(args, autostop), flush=True)
        result = Search(spec, args.faults, args.max_states).run()
        print(_figures(result), flush=True)
        if result.violation is not None:
            _print_violation(result)
            return EXIT_VIOLATION
    print(
        f"  every rule holds in every state; every path ends terminal; "
        f"peak memory {_peak_memory_mb():.0f} MB"
    )
    return EXIT_HOLDS


def _describe(args: argparse.Namespace, autostop: bool) -> str:
    tasks = " -> ".join(f"t{n}" for n in range(1, args.tasks + 1))
    services = " <- ".join(f"s{n}" for n in range(1, args.services + 1)) or "none"
    return (
        f"verify: tasks {tasks} (t1 is the source); services {services}; "
        f"faults {'on' if args.faults else 'off'}; "
        f"autostop {'on' if autostop else 'off'}"
    )


def _figures(result: Result) -> str:
    return (
        f"  {result.states:,} states, {result.edges:,} edges, "
        f"{result.probes:,} late events probed, {result.terminal:,} terminal "
        f"states, {result.seconds:.1f} s"
    )


def _print_violation(result: Result) -> None:
    violation = result.violation
    assert violation is not None
    out = sys.stdout
    print(f"VIOLATION of {violation.rule}: {violation.message}", file=out)
    print(f"shortest event sequence ({len(violation.path)} events):", file=out)
    for number, event in enumerate(violation.path, start=1):
        print(f"  {number:3}. {event!r}", file=out)


def _peak_memory_mb() -> float:
    """The peak resident memory of this process, in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
