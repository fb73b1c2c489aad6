"""Real jobs whose histories the diagram tests draw, and a Mermaid reader."""

from __future__ import annotations

import re
from dataclasses import dataclass

from lifecycle import Function, Job, JobFailed, LocalEnvironment, Service
from tests.recording import Journal, Recorded

#: The task of `failed_job` that raises, and its error.
FAILING_TASK = "map:Explode"
TASK_ERROR = "ValueError('item 7 is bad')"
SERVICE_ERROR = "OSError('index files still locked')"


class Explode(Function):
    """Passes items on, and raises on item 7."""

    def execute(self, item: int) -> int:
        if item == 7:
            raise ValueError("item 7 is bad")
        return self.call_service("index", item, method="echo")


def failed_job(name: str = "failed") -> Job:
    """A job whose task raises, then whose service `index`'s cleanup raises."""
    journal = Journal()
    with LocalEnvironment(name, check=True) as env:
        env.register_service(
            "index",
            Recorded,
            "index",
            journal,
            cleanup=OSError("index files still locked"),
        )
        env.register_service("db", Recorded, "db", journal)
        env.from_batch(range(50)).map(Explode).sink(lambda item: None, parallelism=3)
        try:
            env.submit(autostop=True)
        except JobFailed as failed:
            return failed.job
    raise AssertionError("the job was meant to fail")


def parked_job_diagram(name: str = "parked") -> str:
    """The diagram of a job parked in STOPPED, taken before it is released."""
    with LocalEnvironment(name, check=True) as env:
        env.register_service("index", Service)
        env.from_batch(range(5)).map(lambda item: item, parallelism=2).sink(print)
        job = env.submit(autostop=False)
        job.wait(job.state.STOPPED, timeout=30)
        text = job.diagram()
        job.stop(timeout=10)
    return text


@dataclass(frozen=True)
class Link:
    """One arrow of a Mermaid flowchart, as written."""

    number: int
    source: str
    arrow: str
    label: str
    dest: str


_LINK = re.compile(r'^\s+(\w+) (-->|-\.->|~~~)(?:\|"(.*)"\|)? (\w+)$')
_NODE = re.compile(r'^\s+(\w+)\(+"(.*)"\)+$')
_CLASS = re.compile(r"^\s+class (\S+) (\w+)$")


def links(text: str) -> list[Link]:
    """Every arrow of a Mermaid flowchart, numbered as `linkStyle` counts."""
    found = [_LINK.match(line) for line in text.splitlines()]
    return [
        Link(n, *match.groups(default=""))
        for n, match in enumerate(m for m in found if m)
    ]


def node_labels(text: str) -> dict[str, str]:
    """Node id to label text, for every node declared."""
    found = (_NODE.match(line) for line in text.splitlines())
    return {match[1]: match[2] for match in found if match}


def node_classes(text: str) -> dict[str, str]:
    """Node id to the class a `class` statement gives it."""
    classes = {}
    for line in text.splitlines():
        match = _CLASS.match(line)
        if match:
            classes.update(dict.fromkeys(match[1].split(","), match[2]))
    return classes


def styled_links(text: str) -> set[int]:
    """The link numbers that `linkStyle` lines style."""
    numbers: set[int] = set()
    for line in text.splitlines():
        if line.strip().startswith("linkStyle "):
            numbers |= {int(n) for n in line.split()[1].split(",")}
    return numbers
