"""`python -m benchmarks`: run the cases, print the table, write the document."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from types import ModuleType

from benchmarks import kernel_cost, scale, teardown, throughput, wait_latency
from benchmarks.common import Row
from benchmarks.report import machine, print_table, write_document

#: The cases in the order of issue 6's table, by the name `--case` takes.
CASES: dict[str, ModuleType] = {
    "wait-latency": wait_latency,
    "kernel-cost": kernel_cost,
    "scale": scale,
    "throughput": throughput,
    "teardown": teardown,
}

DOCUMENT = Path(__file__).resolve().parents[1] / "docs" / "performance.md"


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Run lifecycle's benchmarks against their baselines.",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="tiny sizes, a few seconds in all; judges no goal (for CI)",
    )
    parser.add_argument(
        "--case", choices=sorted(CASES), action="append", help="run only this case"
    )
    parser.add_argument(
        "--jobs", type=int, default=None, help="jobs measured by wait-latency"
    )
    parser.add_argument(
        "--doc",
        type=Path,
        default=None,
        help="where to write the document; by default docs/performance.md, "
        "only after a full run of every case",
    )
    options = parser.parse_args(argv)
    if options.jobs is not None and options.jobs < 1:
        parser.error("--jobs must be at least 1")
    return options


def run_case(name: str, options: argparse.Namespace) -> list[Row]:
    """Run one case; print how long it took."""
    start = time.perf_counter()
    if name == "wait-latency":
        rows = wait_latency.run(options.quick, options.jobs)
    else:
        rows = CASES[name].run(options.quick)
    if options.quick:
        for row in rows:
            row.met = None  # tiny sizes: the goals are not judged
    took = time.perf_counter() - start
    print(f"{name}: {took:.1f} s", file=sys.stderr, flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    options = parse(argv)
    names = options.case or list(CASES)
    load_before = os.getloadavg()
    start = time.perf_counter()
    rows = [row for name in names for row in run_case(name, options)]
    took = time.perf_counter() - start
    about = machine(load_before, os.getloadavg(), took, quick=options.quick)
    print_table(rows, about)
    document = options.doc
    if document is None and not options.quick and not options.case:
        document = DOCUMENT
    if document is not None:
        write_document(document, rows, about, [CASES[name] for name in names])
        print(f"wrote {document}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
