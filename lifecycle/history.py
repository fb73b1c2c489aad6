"""The history of a job: every transition of every component, in order.

The kernel appends one plain tuple per transition, which costs a fraction of
building a pydantic model; `History.records()` turns them into
`TransitionRecord` models when someone reads them, once each. Records export
to JSON Lines and load back, validated, with `save_jsonl` and `load_jsonl`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict

from lifecycle.logs import debug_enabled, get_logger
from lifecycle.phases import Kind, Phase

_log = get_logger()


class TransitionRecord(BaseModel):
    """One transition of one component (or of the dispatcher).

    A record whose `noop` is true took no row of its machine, so its `source`
    and `dest` are equal. Most note an event that could have no effect (a
    second stop, a report from a thread already abandoned). Two note a request
    where it arrived, whose effects show in later records: a stop asked while
    the tasks already drain (it arms the drain deadline and makes the outcome
    CANCELLED), and the dispatcher's `force_stop` (the tasks' own `force_stop`
    transitions follow it). The `detail` says which.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    seq: int
    time: float
    job: str
    component: str
    kind: Kind
    event: str
    source: Phase
    dest: Phase
    detail: str = ""
    cause: int = 0
    noop: bool = False


class RawRecord(NamedTuple):
    """The tuple the kernel appends; fields as in `TransitionRecord`."""

    seq: int
    time: float
    job: str
    component: str
    kind: Kind
    event: str
    source: Phase
    dest: Phase
    detail: str
    cause: int
    noop: bool


class History:
    """An append-only list of transitions, read as pydantic models.

    Each record is also logged as one structlog debug event named after the
    record's event. One thread appends (the job's event consumer); any thread
    may read.

    Args:
        job: the job's name, recorded in every record.
        clock: returns the time recorded.
    """

    def __init__(self, job: str, clock: Callable[[], float] = time.time) -> None:
        self.job = job
        self._clock = clock
        #: One plain tuple per record, fields in `RawRecord` order.
        self._rows: list[tuple] = []
        self._models: list[TransitionRecord] = []
        self._lock = threading.Lock()

    def record(
        self,
        component: str,
        kind: Kind,
        event: str,
        source: Phase,
        dest: Phase,
        detail: str,
        cause: int,
        *,
        noop: bool = False,
    ) -> float:
        """Append one record and log it; return the time recorded.

        The log event's name is the transition's event (`started`,
        `cleaned`, ...), so its `event` field reads like the record's.

        Only the kernel calls this.
        """
        now = self._clock()
        seq = len(self._rows) + 1
        self._rows.append(
            (seq, now, self.job, component, kind, event, source, dest,
             detail, cause, noop)
        )  # fmt: skip
        if debug_enabled():
            # structlog's `event` field is the transition's event itself.
            _log.debug(
                event, job=self.job, component=component, kind=kind.value,
                source=source.name, dest=dest.name, detail=detail,
                cause=cause, seq=seq, noop=noop,
            )  # fmt: skip
        return now

    def __len__(self) -> int:
        return len(self._rows)

    def records(self) -> list[TransitionRecord]:
        """Every record so far, oldest first, as a new list."""
        with self._lock:
            ready = len(self._models)
            for row in self._rows[ready:]:
                self._models.append(TransitionRecord(**RawRecord._make(row)._asdict()))
            return list(self._models)

    def copy(self) -> History:
        """An independent history with the same records, for model checkers."""
        copied = History(self.job, self._clock)
        copied._rows = list(self._rows)
        return copied

    def raw(self) -> list[RawRecord]:
        """Every record so far as named tuples, for code that reads many."""
        return [RawRecord._make(row) for row in list(self._rows)]


def save_jsonl(records: Iterable[TransitionRecord], path: str | Path) -> Path:
    """Write records to `path` as JSON Lines, one record a line."""
    path = Path(path)
    with path.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(record.model_dump_json())
            out.write("\n")
    return path


def iter_jsonl(path: str | Path) -> Iterator[tuple[int, str]]:
    """Yield `(line_number, text)` for each non-blank line of a JSON Lines file."""
    with Path(path).open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if line.strip():
                yield number, line


def load_jsonl(path: str | Path) -> list[TransitionRecord]:
    """Read records written by `save_jsonl`, validating each line.

    Raises:
        pydantic.ValidationError: for a line that is not a valid record.
    """
    return [TransitionRecord.model_validate_json(text) for _, text in iter_jsonl(path)]
