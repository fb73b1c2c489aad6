"""The topic index: CPython's help topics in a SQLite FTS5 table.

`TopicIndex` is a lifecycle service. Its `setup()` builds the table in memory
on the service's own thread, which then serves every `search` call, so the
sqlite3 connection never leaves the thread that opened it.

Each row is one distinct topic text. pydoc ships a few texts under several
labels (the topics "if" and "else" are the same page); such a text is indexed
once and answers with all its labels, so a search cannot be right or wrong
by which of two identical pages it happens to rank first.

Ranking is FTS5's bm25, with the title (the topic's heading line) weighted
above the body. Both columns hold the terms of `corpus.terms`, so symbols
such as "**=" can be searched.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass

from lifecycle.demo.corpus import TOPICS, terms, title_of
from lifecycle.service import Service

#: How much a match in the title counts against one in the body.
TITLE_WEIGHT = 4.0

_SCHEMA = """
create virtual table topics using fts5(
    title, body, labels unindexed, tokenize = "unicode61 tokenchars '_'"
)
"""


class Fts5Unavailable(RuntimeError):
    """This Python's sqlite3 was built without the FTS5 extension."""


def require_fts5() -> None:
    """Check that sqlite3 can create FTS5 tables.

    Raises:
        Fts5Unavailable: it cannot; the message says what to do.
    """
    connection = sqlite3.connect(":memory:")
    try:
        connection.execute("create virtual table probe using fts5(text)")
    except sqlite3.OperationalError as error:
        raise Fts5Unavailable(
            f"the demo needs SQLite's FTS5 extension, which this Python's "
            f"sqlite3 (SQLite {sqlite3.sqlite_version}) lacks ({error}); use a "
            f"Python built against a SQLite with FTS5, as python.org and most "
            f"distributions ship."
        ) from None
    finally:
        connection.close()


@dataclass(frozen=True)
class Hit:
    """One search result: the topic's labels (first is the answer) and score.

    The score is bm25's: lower is better.
    """

    labels: tuple[str, ...]
    score: float

    @property
    def topic(self) -> str:
        return self.labels[0]


class TopicIndex(Service):
    """Answers `search(question, k)` with the best-matching help topics.

    Args:
        topics: topic texts by label; CPython's help topics by default.
        title_weight: bm25 weight of the title column (the body's is 1).
    """

    def __init__(
        self,
        topics: Mapping[str, str] = TOPICS,
        title_weight: float = TITLE_WEIGHT,
    ) -> None:
        self.topics = topics
        self.title_weight = title_weight
        self.db: sqlite3.Connection | None = None

    def setup(self) -> None:
        """Build the index in memory.

        Raises:
            Fts5Unavailable: sqlite3 has no FTS5.
        """
        require_fts5()
        self.db = sqlite3.connect(":memory:")
        self.db.execute(_SCHEMA)
        self.db.executemany(
            "insert into topics (title, body, labels) values (?, ?, ?)",
            _rows(self.topics),
        )

    def cleanup(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None

    def size(self) -> int:
        """How many distinct topic texts are indexed."""
        return self._connection().execute("select count(*) from topics").fetchone()[0]

    def search(self, question: str, k: int = 3) -> list[Hit]:
        """The `k` topics that best match `question`, best first.

        The question is searched as the OR of its terms; one with no terms
        (only spaces) matches nothing.
        """
        query = " OR ".join(
            f'"{term}"' for term in dict.fromkeys(terms(question, query=True))
        )
        if not query:
            return []
        rows = self._connection().execute(
            "select labels, bm25(topics, ?, 1.0) as score from topics "
            "where topics match ? order by score limit ?",
            (self.title_weight, query, k),
        )
        return [Hit(tuple(labels.split()), score) for labels, score in rows]

    def _connection(self) -> sqlite3.Connection:
        if self.db is None:
            raise RuntimeError("the topic index is not set up; call setup() first")
        return self.db


def _rows(topics: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """One row per distinct text: its title terms, body terms and labels."""
    labels_of: dict[str, list[str]] = {}
    for label, text in sorted(topics.items()):
        labels_of.setdefault(text, []).append(label)
    return [
        (" ".join(terms(title_of(text))), " ".join(terms(text)), " ".join(labels))
        for text, labels in labels_of.items()
    ]
