"""The demo job: questions in, answers out, through two services.

    source (questions) -> map Retrieve (parallel) -> sink AnswerWriter
                              |           |
                       index service   memory service (depends on index)

`run_demo` builds this job in a `LocalEnvironment`, submits it with
autostop, and returns what a report needs. It writes `answers.jsonl`,
`memory.db` (through the memory service), `history.jsonl` and the run's
Mermaid diagram `run.mmd` in `out`; the history and the diagram are written
however the job ends, Ctrl-C included.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TextIO

from lifecycle.demo.corpus import Question, questions
from lifecycle.demo.index import TopicIndex
from lifecycle.demo.memory import MemoryStore
from lifecycle.environment import LocalEnvironment
from lifecycle.errors import JobFailed
from lifecycle.history import save_jsonl
from lifecycle.job import Job
from lifecycle.service import Function

ANSWERS = "answers.jsonl"
MEMORY = "memory.db"
HISTORY = "history.jsonl"
RUN_DIAGRAM = "run.mmd"


@dataclass(frozen=True)
class Answer:
    """The index's best topic for one question, judged against pydoc.

    Attributes:
        hit: the answer is the topic pydoc shows (or a page identical to it).
        related_hit: the answer is that topic or one the symbol's entry
            names as related (a lenient reading, for symbols).
        score: bm25 of the best topic (lower is better); None if none matched.
    """

    question: str
    kind: str
    expected: str
    answered: str | None
    hit: bool
    related_hit: bool
    score: float | None


class Retrieve(Function):
    """Answers a `Question` with the index's best topic and remembers it."""

    def execute(self, question: Question) -> Answer:
        hits = self.service("index").search(question.text, k=1)
        best = hits[0] if hits else None
        labels = best.labels if best else ()
        hit = question.expected in labels
        answer = Answer(
            question=question.text,
            kind=question.kind,
            expected=question.expected,
            answered=best.topic if best else None,
            hit=hit,
            related_hit=hit or any(t in labels for t in question.related),
            score=float(f"{best.score:.4g}") if best else None,
        )
        self.service("memory").record(
            answer.question,
            answer.kind,
            answer.expected,
            answer.answered,
            answer.hit,
            answer.score,
        )
        return answer


class AnswerWriter(Function):
    """Writes each answer as one JSON line of `path` (replacing the file)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.file: TextIO | None = None

    def setup(self) -> None:
        self.file = self.path.open("w", encoding="utf-8")

    def execute(self, answer: Answer) -> None:
        assert self.file is not None  # setup() ran before the first item
        self.file.write(json.dumps(asdict(answer)) + "\n")

    def cleanup(self) -> None:
        if self.file is not None:
            self.file.close()


@dataclass
class DemoRun:
    """What one run of the demo did, for the report.

    Attributes:
        job: the finished job (terminal).
        questions: how many questions were asked.
        answers: the answers read back from the answers file.
        seconds: wall time from building the environment to the job's end.
    """

    job: Job
    questions: int
    answers: list[dict[str, Any]]
    seconds: float


def run_demo(out: Path, *, parallelism: int = 4, limit: int | None = None) -> DemoRun:
    """Answer pydoc's questions from its topics; write the outputs in `out`.

    Args:
        out: an existing, writable directory.
        parallelism: how many retrieval tasks share the questions.
        limit: ask only the first `limit` questions.

    Returns:
        The run, whether the job succeeded or failed: look at `run.job`.
    """
    asked = questions()[:limit]
    began = time.perf_counter()
    with LocalEnvironment("demo") as env:
        env.register_service("index", TopicIndex)
        env.register_service("memory", MemoryStore, out / MEMORY, depends_on=["index"])
        env.from_batch(asked).map(Retrieve, parallelism=parallelism).sink(
            AnswerWriter, out / ANSWERS
        )
        try:
            job = env.submit(autostop=True)
        except JobFailed as failure:
            job = failure.job
        finally:
            # Also after Ctrl-C: submit re-raises it once the job is torn down.
            if env.jobs:
                save_jsonl(env.jobs[-1].history, out / HISTORY)
                (out / RUN_DIAGRAM).write_text(env.jobs[-1].diagram())
    seconds = time.perf_counter() - began
    return DemoRun(job, len(asked), _read_answers(out / ANSWERS), seconds)


def _read_answers(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]
