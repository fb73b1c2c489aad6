"""The memory store: every question and answer of a run, in SQLite on disk.

`MemoryStore` is a lifecycle service that depends on the topic index: its
`setup()` asks the index how many topics it holds and records that beside
the run, so the rows say which index answered them. Because of that edge,
the index starts first and stops last (after the store has committed).

Each run starts the table afresh, so running the demo twice on the same
directory leaves the second run's answers only. Rows are written in one
transaction, committed by `stop()`, when every task has stopped.
"""

from __future__ import annotations

import sqlite3
import sys
import time
from pathlib import Path

from lifecycle.service import Service

_SCHEMA = """
drop table if exists answers;
drop table if exists runs;
create table runs (
    started real not null,
    python text not null,
    topics integer not null
);
create table answers (
    question text primary key,
    kind text not null,
    expected text not null,
    answered text,
    hit integer not null,
    score real
);
"""


class MemoryStore(Service):
    """Records answers in `path`, a SQLite database; `record(...)` adds one.

    Args:
        path: the database file; created if missing, its tables replaced.
        index: the name of the index service to describe the run with.
    """

    def __init__(self, path: str | Path, index: str = "index") -> None:
        self.path = Path(path)
        self.index = index
        self.db: sqlite3.Connection | None = None

    def setup(self) -> None:
        """Open the database and start a fresh run.

        Raises:
            sqlite3.OperationalError: the file cannot be opened or written.
        """
        topics = self.service(self.index).size()
        self.db = sqlite3.connect(self.path)
        self.db.executescript(_SCHEMA)
        self.db.execute(
            "insert into runs values (?, ?, ?)",
            (time.time(), sys.version.split()[0], topics),
        )

    def record(
        self,
        question: str,
        kind: str,
        expected: str,
        answered: str | None,
        hit: bool,
        score: float | None,
    ) -> None:
        """Store one question and its answer (replacing an earlier one)."""
        self._connection().execute(
            "insert or replace into answers values (?, ?, ?, ?, ?, ?)",
            (question, kind, expected, answered, int(hit), score),
        )

    def stop(self) -> None:
        """Commit the run's rows: no call arrives after this."""
        self._connection().commit()

    def cleanup(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None

    def _connection(self) -> sqlite3.Connection:
        if self.db is None:
            raise RuntimeError(f"memory store {self.path} is not open")
        return self.db
