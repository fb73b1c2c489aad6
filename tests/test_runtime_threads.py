"""How the local runtime starts and ends task threads."""

from __future__ import annotations

import threading

from lifecycle import Function, LocalEnvironment, Outcome, Phase
from lifecycle.events import StartFailed
from lifecycle.runtime.starter import ThreadStarter

WAIT = 30


class Runner:
    """A minimal runner: a name and a real thread that records that it ran."""

    def __init__(self, name: str, ran: list[str], *, fails: bool = False) -> None:
        self.name = name
        self.fails = fails
        self.thread = threading.Thread(target=ran.append, args=(name,))

    def start(self) -> None:
        if self.fails:
            raise RuntimeError("can't start new thread")
        self.thread.start()


def test_the_starter_starts_every_runner_then_its_helpers_end() -> None:
    """Fifty runners flushed at once all run on helpers, and no helper is left."""
    ran: list[str] = []
    starter = ThreadStarter("lifecycle:test", print, helpers=4)
    runners = [Runner(f"task-{index}", ran) for index in range(50)]
    for runner in runners:
        starter.add(runner)
    starter.flush()
    assert 1 <= len(starter.threads) <= 4
    for helper in starter.threads:
        helper.join(WAIT)
    for runner in runners:
        runner.thread.join(WAIT)
    assert sorted(ran) == sorted(runner.name for runner in runners)
    assert not any(helper.is_alive() for helper in starter.threads)


def test_a_thread_that_cannot_start_is_reported_and_the_others_start() -> None:
    """One failed start is reported as that component's failed setup."""
    ran: list[str] = []
    reports: list[StartFailed] = []
    starter = ThreadStarter("lifecycle:test", reports.append, helpers=4)
    fine = Runner("fine", ran)
    starter.add(Runner("broken", ran, fails=True))
    starter.add(fine)
    starter.flush()
    fine.thread.join(WAIT)
    assert starter.threads == []  # two runners: started by the caller
    assert ran == ["fine"]
    assert [(r.name, str(r.error), r.set_up) for r in reports] == [
        ("broken", "can't start new thread", False)
    ]


class Holds(Function):
    """A function whose setup and cleanup note the thread they ran on."""

    def __init__(self, seen: dict[str, list[str]]) -> None:
        self.seen = seen

    def setup(self) -> None:
        self.seen["setup"].append(threading.current_thread().name)

    def cleanup(self) -> None:
        self.seen["cleanup"].append(threading.current_thread().name)

    def execute(self, item: int) -> int:
        return item


class Plain(Function):
    """A function with nothing to clean up."""

    def execute(self, item: int) -> int:
        return item


def test_cleanup_runs_on_the_task_thread_and_tasks_without_one_are_cleaned() -> None:
    """A Function's cleanup runs once per instance on its own thread; the
    tasks with nothing to clean reach CLEANED too."""
    seen: dict[str, list[str]] = {"setup": [], "cleanup": []}
    with LocalEnvironment("cleanups", check=True) as env:
        stream = env.from_batch(range(40)).map(Holds, seen, parallelism=2)
        stream.map(Plain, parallelism=2).sink(lambda item: None)
        job = env.submit()
    assert job.outcome is Outcome.SUCCEEDED
    assert all(view.state is Phase.CLEANED for view in job.tasks.values())
    assert len(seen["cleanup"]) == 2
    assert sorted(seen["cleanup"]) == sorted(seen["setup"])


def test_an_abandoned_task_does_no_more_work_and_leaves_its_input_open() -> None:
    """Abandoned mid-item: the item ends, no other is taken, siblings still can."""
    from lifecycle.runtime.channel import Channel
    from lifecycle.runtime.services import ServiceDirectory
    from lifecycle.runtime.tasks import TaskRunner
    from lifecycle.stream import Node

    holding, release = threading.Event(), threading.Event()
    done: list[int] = []

    def hold(item: int) -> int:
        holding.set()
        release.wait(WAIT)
        done.append(item)
        return item

    inputs = Channel(8, producers=1, consumers=2)
    for item in range(3):
        inputs.put(item)
    reports: list[object] = []
    directory = ServiceDirectory("abandon", lambda name: Phase.RUNNING, 1.0)
    node = Node("map", "map:hold", hold, parallelism=2)
    runner = TaskRunner(
        "map:hold[0]", node, inputs, [], "abandon", reports.append, directory
    )
    runner.start()
    assert holding.wait(WAIT)
    runner.abandon()
    release.set()
    runner.thread.join(WAIT)
    assert not runner.thread.is_alive()
    assert done == [0]
    assert inputs.get() == 2  # the dropped item 1 was taken; the rest is there
    assert not [r for r in reports if type(r).__name__ == "InputEnded"]
