"""Run two small jobs and write the diagrams of their runs, for docs/img/.

    .venv/bin/python tools/draw_example_runs.py [DIR]
    tools/render_mermaid.sh --format png --scale 2 --out docs/img docs/img

writes DIR/failed-run.mmd (a task raises, then a service's cleanup raises)
and DIR/succeeded-run.mmd (the same pipeline, nothing raises); DIR defaults to
docs/img. Thread timing varies, so the files differ a little from run to run
(which instance failed, the order of names); no test compares them.
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

from lifecycle import Function, JobFailed, LocalEnvironment, Service


class Database(Service):
    """A sqlite database, opened and closed on the service's own thread."""

    def setup(self) -> None:
        self.db = sqlite3.connect(":memory:")
        self.db.execute("create table docs (id integer primary key, text text)")
        self.db.executemany(
            "insert into docs values (?, ?)", [(n, f"doc {n}") for n in range(500)]
        )

    def fetch(self, doc_id: int) -> str:
        row = self.db.execute("select text from docs where id = ?", (doc_id,))
        return row.fetchone()[0]

    def cleanup(self) -> None:
        self.db.close()


class Index(Service):
    """Looks documents up in the database; its cleanup may raise."""

    def __init__(self, broken: bool) -> None:
        self.broken = broken

    def search(self, query: int) -> str:
        return self.call_service("db", query, method="fetch")

    def cleanup(self) -> None:
        if self.broken:
            raise OSError("index files still locked")


class Cache(Service):
    """An in-memory cache."""

    def setup(self) -> None:
        self.seen: dict[int, str] = {}

    def remember(self, key: int, value: str) -> str:
        self.seen[key] = value
        return value


class Retrieve(Function):
    def execute(self, query: int) -> tuple[int, str]:
        return query, self.service("index").search(query)


class Rank(Function):
    def __init__(self, bad_item: int | None) -> None:
        self.bad_item = bad_item

    def execute(self, hit: tuple[int, str]) -> str:
        if hit[0] == self.bad_item:
            raise ValueError(f"cannot rank item {hit[0]}")
        return self.service("cache").remember(*hit)


def run(name: str, failing: bool):
    """Run the pipeline; return its job, failed or not."""
    with LocalEnvironment(name) as env:
        env.register_service("db", Database)
        env.register_service("index", Index, failing, depends_on=["db"])
        env.register_service("cache", Cache)
        (
            env.from_batch(range(300))
            .map(Retrieve, parallelism=4)
            .map(Rank, 150 if failing else None, parallelism=3)
            .sink(lambda item: None, parallelism=2)
        )
        try:
            return env.submit(autostop=True)
        except JobFailed as failed:
            return failed.job


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, failing in (("failed-run", True), ("succeeded-run", False)):
        job = run(name, failing)
        path = out / f"{name}.mmd"
        path.write_text(job.diagram(), encoding="utf-8")
        print(f"{path}: {job.state.name}, outcome {job.outcome.name}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/img"))
