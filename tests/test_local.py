"""End-to-end jobs on the local runtime: real threads, real services."""

from __future__ import annotations

import sqlite3
import threading
from collections import Counter

import pytest

from lifecycle import (
    Function,
    JobFailed,
    LocalEnvironment,
    Outcome,
    Phase,
    Service,
    ServiceUnavailable,
)
from tests.recording import CallsService, Journal, Recorded

WAIT = 30


def test_autostop_tears_services_down_in_reverse_dependency_order() -> None:
    """db <- index <- cache: stopped cache first, db last, each cleaned once."""
    journal = Journal()
    with LocalEnvironment("order", check=True) as env:
        env.register_service("cache", Recorded, "cache", journal, depends_on=["index"])
        env.register_service("index", Recorded, "index", journal, depends_on=["db"])
        env.register_service("db", Recorded, "db", journal)
        env.from_batch(range(50)).map(CallsService, "cache").sink(lambda item: None)
        job = env.submit(autostop=True)
    assert job.state is Phase.CLEANED and job.outcome is Outcome.SUCCEEDED
    assert journal.order("setup") == ["db", "index", "cache"]
    assert journal.order("stop") == ["cache", "index", "db"]
    assert journal.order("cleanup") == ["cache", "index", "db"]
    assert journal.count("cleanup") == Counter(db=1, index=1, cache=1)
    assert all(view.state is Phase.CLEANED for view in job.services.values())
    assert all(view.state is Phase.CLEANED for view in job.tasks.values())


def test_services_with_no_order_between_them_stop_concurrently() -> None:
    """Two independent services are both stopping before either cleanup returns."""
    both_stopping = threading.Barrier(2, timeout=10)

    class Meets(Service):
        def stop(self) -> None:
            both_stopping.wait()

    with LocalEnvironment("parallel-stop", check=True) as env:
        env.register_service("a", Meets)
        env.register_service("b", Meets)
        env.from_batch([1]).sink(print)
        job = env.submit()
    assert job.outcome is Outcome.SUCCEEDED


def test_without_autostop_the_job_parks_with_services_running() -> None:
    """The batch ends in STOPPED with services RUNNING until stop()."""
    journal = Journal()
    out: list[int] = []
    with LocalEnvironment("parked", check=True) as env:
        env.register_service("index", Recorded, "index", journal)
        env.from_batch(range(10)).map(CallsService, "index").sink(out.append)
        job = env.submit(autostop=False)
        assert job.wait(Phase.STOPPED, timeout=WAIT) is Phase.STOPPED
        assert job.services["index"].state is Phase.RUNNING
        assert journal.count("cleanup") == Counter()
        assert sorted(out) == list(range(10))
        assert job.stop(timeout=10) is Phase.CLEANED
        assert job.stop(timeout=10) is Phase.CLEANED
    assert job.outcome is Outcome.SUCCEEDED
    assert journal.count("cleanup") == Counter(index=1)


def test_a_raising_task_fails_the_job_and_still_cleans_services() -> None:
    """JobFailed carries the task's error as its cause; services are cleaned."""
    journal = Journal()

    def explode(item: int) -> int:
        if item == 7:
            raise ValueError("item 7 is bad")
        return item

    with LocalEnvironment("failing", check=True) as env:
        env.register_service("index", Recorded, "index", journal)
        env.from_batch(range(1000)).map(CallsService, "index").map(explode).sink(
            lambda item: None
        )
        with pytest.raises(JobFailed) as caught:
            env.submit(autostop=True)
    job = caught.value.job
    assert isinstance(caught.value.__cause__, ValueError)
    assert job.error is caught.value.__cause__
    assert job.outcome is Outcome.FAILED and job.state is Phase.CLEANED
    assert journal.count("cleanup") == Counter(index=1)
    assert job.tasks["map:explode"].error is job.error


@pytest.mark.parametrize("parallelism", [1, 3])
def test_every_item_arrives_exactly_once_through_parallel_stages(
    parallelism: int,
) -> None:
    """2,000 items through parallel map, flatmap and filter stages, none lost."""
    out: list[int] = []
    with LocalEnvironment("exactly-once", check=True, queue_size=8) as env:
        (
            env.from_batch(range(2000))
            .map(lambda item: item * 2, parallelism=parallelism)
            .flatmap(lambda item: [item, item + 1], parallelism=2)
            .filter(lambda item: item % 2 == 0, parallelism=parallelism)
            .sink(out.append, parallelism=2)
        )
        job = env.submit()
    assert job.outcome is Outcome.SUCCEEDED
    assert sorted(out) == [item * 2 for item in range(2000)]


def test_a_union_stops_only_after_each_upstream_ended() -> None:
    """A node fed by two sources gets every item of both."""
    out: list[int] = []
    with LocalEnvironment("union", check=True) as env:
        evens = env.from_batch(range(0, 1000, 2))
        odds = env.from_batch(range(1, 1000, 2)).map(lambda item: item, parallelism=3)
        evens.union(odds).sink(out.append)
        env.submit()
    assert sorted(out) == list(range(1000))


class SqliteStore(Service):
    """Keeps a sqlite3 connection, which must stay on the thread that opened it."""

    def __init__(self) -> None:
        self.db: sqlite3.Connection | None = None
        self.closed = False

    def setup(self) -> None:
        self.db = sqlite3.connect(":memory:")
        self.db.execute("create table seen (item integer primary key)")

    def add(self, item: int) -> int:
        assert self.db is not None
        self.db.execute("insert into seen values (?)", (item,))
        return item

    def count(self) -> int:
        assert self.db is not None
        return self.db.execute("select count(*) from seen").fetchone()[0]

    def cleanup(self) -> None:
        assert self.db is not None
        self.db.close()
        self.closed = True


class Store(Function):
    def execute(self, item: int) -> int:
        return self.service("store").add(item)


def test_a_sqlite_connection_is_shared_by_parallel_tasks_and_closed() -> None:
    """Parallel tasks use a connection opened in setup; cleanup closes it."""
    with LocalEnvironment("sqlite", check=True) as env:
        env.register_service("store", SqliteStore)
        env.from_batch(range(500)).map(Store, parallelism=4).sink(lambda item: None)
        job = env.submit(autostop=False)
        job.wait(Phase.STOPPED, timeout=WAIT)
        assert job.service("store").count() == 500
        store = job._runtime.directory.runners["store"].instance
        job.stop(timeout=10)
    assert store.closed


def test_a_stale_proxy_raises_service_unavailable() -> None:
    """A proxy kept after teardown refuses calls, naming the service and phase."""
    proxies = []

    class Keep(Function):
        def execute(self, item: int) -> int:
            proxies.append(self.service("index"))
            return item

    with LocalEnvironment("stale", check=True) as env:
        env.register_service("index", Recorded, "index", Journal())
        env.from_batch([1]).map(Keep).sink(lambda item: None)
        env.submit()
    with pytest.raises(ServiceUnavailable, match=r"'index'.*CLEANED"):
        proxies[0].echo(1)


def test_service_calls_run_on_the_service_thread() -> None:
    """Every call is served on the thread the service was set up on."""
    seen: list[str] = []

    class Ask(Function):
        def execute(self, item: int) -> None:
            seen.append(self.call_service("index", method="whose_thread"))

    with LocalEnvironment("threads", check=True) as env:
        env.register_service("index", Recorded, "index", Journal())
        env.from_batch(range(20)).map(Ask, parallelism=3).sink(lambda item: None)
        env.submit()
    assert set(seen) == {"lifecycle:threads:service:index"}


def test_a_kernel_bug_wakes_waiters_with_an_error_instead_of_hanging(
    monkeypatch,
) -> None:
    """If the kernel raises on an event, wait() raises LifecycleError at once."""
    from lifecycle import LifecycleError
    from lifecycle.events import Submit
    from lifecycle.kernel import Kernel

    def broken(kernel: Kernel, event: Submit) -> None:
        raise RuntimeError("seeded kernel bug")

    monkeypatch.setitem(Kernel._HANDLERS, Submit, broken)
    with LocalEnvironment("broken") as env:
        env.from_batch([1]).sink(print)
        with pytest.raises(LifecycleError, match="bug in lifecycle") as caught:
            env.submit()
    assert isinstance(caught.value.__cause__, RuntimeError)


def test_builtin_types_are_applied_to_each_item() -> None:
    """map(str), filter(bool), flatmap(list), map(int) call the type on each item."""
    out: list[int] = []
    with LocalEnvironment("builtins", check=True) as env:
        (
            env.from_batch([(1, 2), (), (3,)])
            .filter(bool)
            .flatmap(list)
            .map(str)
            .map(int)
            .sink(out.append)
        )
        job = env.submit()
    assert job.outcome is Outcome.SUCCEEDED
    assert sorted(out) == [1, 2, 3]


def test_a_class_with_an_inherited_call_is_built_once_per_instance() -> None:
    """A class whose base defines __call__ is built from the operator's arguments."""
    built: list[int] = []

    class Scales:
        def __call__(self, item: int) -> int:
            return item * self.factor

    class Triples(Scales):
        def __init__(self, factor: int) -> None:
            self.factor = factor
            built.append(factor)

    out: list[int] = []
    with LocalEnvironment("inherited-call", check=True) as env:
        env.from_batch(range(4)).map(Triples, 3, parallelism=2).sink(out.append)
        env.submit()
    assert sorted(out) == [0, 3, 6, 9]
    assert built == [3, 3]


def test_a_stream_united_with_itself_delivers_each_item_once() -> None:
    """a.union(a) and a.union(b).union(a) name each upstream node once."""
    out: list[int] = []
    with LocalEnvironment("self-union", check=True) as env:
        a = env.from_batch(range(10))
        b = env.from_batch(range(10, 20))
        a.union(a).sink(out.append)
        a.union(b).union(a, b).sink(out.append)
        env.submit()
    assert sorted(out) == sorted([*range(10), *range(20)])
