"""`lifecycle verify`: the exhaustive search, its state keys and its output."""

from __future__ import annotations

import dataclasses

import pytest

from lifecycle import cli
from lifecycle import events as ev
from lifecycle.components import Component
from lifecycle.errors import InvalidTransition
from lifecycle.kernel import Kernel
from lifecycle.phases import Kind, Phase
from lifecycle.verify import state
from lifecycle.verify.explore import Search, job_shape, verify
from lifecycle.verify.harness import Harness
from lifecycle.verify.simulation import SimulatedRuntime, Sort
from lifecycle.verify.threads import CommandViolation, Work


@pytest.fixture
def run_verify(monkeypatch, capsys):
    """Run `lifecycle verify ARGS`; return (exit code, stdout)."""
    monkeypatch.setattr(cli, "COMMANDS", ("lifecycle.verify.command",))

    def run(*args: str) -> tuple[int, str]:
        code = cli.main(["verify", *args])
        return code, capsys.readouterr().out

    return run


def test_the_job_shape_is_two_chains() -> None:
    """Tasks t1 (source) -> t2 -> t3; services s2 depends on s1."""
    spec = job_shape(3, 2, autostop=False)
    assert [(t.name, t.source) for t in spec.tasks] == [
        ("t1", True), ("t2", False), ("t3", False)
    ]  # fmt: skip
    assert [(s.name, s.depends_on) for s in spec.services] == [
        ("s1", ()), ("s2", ("s1",))
    ]  # fmt: skip
    assert spec.autostop is False


@pytest.mark.parametrize("autostop", [True, False])
def test_every_normal_interleaving_of_a_small_job_holds(autostop: bool) -> None:
    """Without faults, 3 tasks and 2 services: every state keeps every rule."""
    result = verify(3, 2, autostop=autostop)
    assert result.violation is None
    assert result.states > 100 and result.edges > result.states
    assert result.terminal == 1  # one way to end when nothing fails


def test_every_faulty_interleaving_of_a_tiny_job_holds() -> None:
    """With faults, 1 task and 1 service: every state keeps every rule."""
    result = verify(1, 1, faults=True)
    assert result.violation is None
    assert result.probes > 0 and result.terminal > 1


def test_the_command_prints_the_figures(run_verify) -> None:
    """Exit 0 and states, edges and time for each autostop setting."""
    code, out = run_verify("--tasks", "2", "--services", "1")
    assert code == 0
    assert out.count(" edges, ") == 2
    assert "autostop on" in out and "autostop off" in out
    assert "every rule holds" in out and "peak memory" in out


def test_a_violation_prints_the_shortest_sequence(run_verify, monkeypatch):
    """A kernel that never waits for tasks: exit 1 and the shortest path."""
    monkeypatch.setattr(Kernel, "tasks_stopped", property(lambda self: True))
    code, out = run_verify("--tasks", "1", "--services", "1", "--autostop", "on")
    assert code == 1
    assert "VIOLATION of rule 4" in out
    assert "shortest event sequence (4 events):" in out
    assert "1. Submit()" in out and "Started(name='s1')" in out


def test_a_search_past_its_limit_stops_with_a_scope_violation() -> None:
    """max_states bounds the search and says to choose a smaller scope."""
    result = Search(job_shape(2, 1), faults=True, max_states=50).run()
    assert result.violation is not None and result.violation.rule == "scope"


@pytest.mark.parametrize("argv", [["--tasks", "0"], ["--services", "x"]])
def test_bad_arguments_exit_2(run_verify, capsys, argv) -> None:
    """A scope below its minimum, or not a number, is refused by argparse."""
    with pytest.raises(SystemExit) as caught:
        run_verify(*argv)
    assert caught.value.code == 2


def test_the_state_module_sorts_every_kernel_field() -> None:
    """A new Kernel or Component field fails here until state.py sorts it."""
    kernel = Kernel(job_shape(1, 1))
    assert set(vars(kernel)) == state.KERNEL_COPIED | state.KERNEL_SHARED
    fields = {f.name for f in dataclasses.fields(Component)}
    assert fields == set(state.COMPONENT_KEYED) | state.COMPONENT_UNKEYED


def test_a_fork_does_not_share_what_the_kernel_mutates() -> None:
    """Events on a fork leave the original kernel, history and tally as they were."""
    harness = Harness.submitted(job_shape(1, 1), faults=False)
    kernel = harness.kernel
    before = (state.kernel_key(kernel), len(kernel.history), len(kernel.entered))
    fork = harness.fork()
    fork.apply(ev.Started("s1"))
    assert fork.kernel.components["s1"].state is Phase.RUNNING
    assert kernel.components["s1"].state is Phase.STARTING
    after = (state.kernel_key(kernel), len(kernel.history), len(kernel.entered))
    assert after == before
    assert harness.key() != fork.key()


def test_the_runtime_refuses_a_command_no_kernel_should_give() -> None:
    """A second start, or a cleanup before any setup, is a CommandViolation."""
    runtime = SimulatedRuntime(job_shape(1, 1))
    runtime.accept([ev.StartService("s1", 1.0)])
    assert runtime.threads["s1"].work is Work.SETTING_UP
    with pytest.raises(CommandViolation, match="a second start for service 's1'"):
        runtime.accept([ev.StartService("s1", 1.0)])
    with pytest.raises(CommandViolation, match="Cleanup number 1 for task 't1'"):
        runtime.accept([ev.Cleanup("t1", 1.0)])
    with pytest.raises(CommandViolation, match="names no component"):
        runtime.accept([ev.Cleanup("nobody", 1.0)])


def test_a_terminal_job_is_offered_only_late_events() -> None:
    """After the end, stops and late deadlines remain, all of them LATE."""
    harness = Harness.submitted(job_shape(1, 0), faults=True)
    harness.apply(ev.Overran("t1", Phase.STARTING, 1.0))
    assert harness.kernel.state.terminal
    moves = harness.moves()
    assert moves and {move.sort for move in moves} == {Sort.LATE}
    assert harness.runtime.threads["t1"].kind is Kind.TASK


def test_an_offered_event_the_kernel_refuses_is_reported(monkeypatch) -> None:
    """A kernel refusing a service's Started: rule "refused", that event last."""

    def refuse(self, event):
        raise InvalidTransition(event.name, Kind.SERVICE, Phase.STARTING, "started", ())

    monkeypatch.setitem(Kernel._HANDLERS, ev.Started, refuse)
    violation = verify(1, 1).violation
    assert violation is not None and violation.rule == "refused"
    assert violation.path == [ev.Submit(), ev.Started("s1")]


def test_a_kernel_that_crashes_is_reported(monkeypatch) -> None:
    """Any other exception is a crash, with the event that caused it."""

    def crash(self, event):
        raise ZeroDivisionError("oops")

    monkeypatch.setitem(Kernel._HANDLERS, ev.Drained, crash)
    violation = verify(1, 0).violation
    assert violation is not None and violation.rule == "crash"
    assert "ZeroDivisionError" in violation.message
    assert violation.path[-1] == ev.Drained("t1")


def test_a_crash_on_submit_is_reported_with_submit_alone(monkeypatch) -> None:
    """A kernel failing its first event gives the one-event path."""

    def crash(self, event):
        raise RuntimeError("no submit")

    monkeypatch.setitem(Kernel._HANDLERS, ev.Submit, crash)
    violation = verify(1, 0).violation
    assert violation is not None and violation.path == [ev.Submit()]


def test_a_repeated_stop_that_issues_commands_is_reported(monkeypatch) -> None:
    """A late event may only re-arm a drain deadline: any other command is caught."""
    on_stop = Kernel._on_stop_requested

    def rearm(self, event):
        repeated = self.stop_asked
        on_stop(self, event)
        if repeated:
            self._commands.append(ev.StopSource("t1"))

    monkeypatch.setitem(Kernel._HANDLERS, ev.StopRequested, rearm)
    violation = verify(1, 0, faults=True).violation
    assert violation is not None and violation.rule in ("late event", "commands")
    assert isinstance(violation.path[-1], ev.StopRequested)


def test_a_phase_without_its_command_is_a_disagreement(monkeypatch) -> None:
    """A kernel that marks a start but sends no command disagrees with threads."""
    monkeypatch.setattr(Kernel, "_start", lambda self, c: self._fire(c, "start"))
    violation = verify(1, 0).violation
    assert violation is not None and violation.rule == "agreement"
    assert "'t1' STARTING while its thread is not started" in violation.message


def test_a_job_that_forgets_autostop_never_ends(monkeypatch) -> None:
    """Ignoring autostop leaves nothing to happen and the job STOPPED."""
    monkeypatch.setattr(Kernel, "teardown_wanted", property(lambda k: k.must_stop))
    violation = verify(1, 1).violation
    assert violation is not None and violation.rule == "end"
    assert "nothing is left to happen, yet the job is STOPPED" in violation.message


def graph(search: Search, edges: dict[int, list[int]], terminal: set[int]) -> None:
    """Fill `search` with a hand-made state graph, states numbered from 0."""
    for number in range(len(edges)):
        search.keys[bytes([number])] = number
        search.parents.append(number - 1)
        search.via.append(ev.Submit())
        search.terminal.append(number in terminal)
        search.successors.extend(edges[number])
        search.offsets.append(len(search.successors))


@pytest.mark.parametrize(
    ("edges", "terminal", "rule"),
    [
        ({0: [1], 1: []}, set(), "stuck"),
        ({0: [1], 1: [2], 2: [1, 3], 3: []}, {3}, "loop"),
    ],
)
def test_every_path_must_end(edges, terminal, rule) -> None:
    """A dead end that is not terminal, or a cycle, is found after the search."""
    search = Search(job_shape(1, 0))
    graph(search, edges, terminal)
    with pytest.raises(Exception) as caught:
        search._check_every_path_ends()
    assert caught.value.violation.rule == rule


def test_a_graph_whose_paths_all_end_passes() -> None:
    """A diamond ending in one terminal state has no dead end and no cycle."""
    search = Search(job_shape(1, 0))
    graph(search, {0: [1, 2], 1: [3], 2: [3], 3: []}, {3})
    search._check_every_path_ends()


def finished(faults: bool = False) -> Harness:
    """A harness whose one-task, one-service job ran to its end normally."""
    harness = Harness.submitted(job_shape(1, 1), faults=faults)
    while not harness.kernel.state.terminal:
        answer = next(m for m in harness.moves() if m.sort is Sort.ANSWER)
        harness.apply(answer.event)
    return harness


@pytest.mark.parametrize(
    ("thread", "change", "words"),
    [
        ("s1", {"work": Work.SERVING}, "services ['s1'] never stopped"),
        ("s1", {"work": Work.STOPPING}, "['s1'] still had work to report on"),
        ("t1", {"cleanups": 0}, "not cleaned exactly once: 't1' (0)"),
    ],
)
def test_a_terminal_job_must_have_finished_everything(thread, change, words):
    """The end check names a service left serving, work owed, a missed cleanup."""
    harness = finished()
    assert harness.runtime.end_problem(harness.kernel) is None
    threads = harness.runtime.threads
    threads[thread] = dataclasses.replace(threads[thread], **change)
    assert words in harness.runtime.end_problem(harness.kernel)


def test_an_abandoned_thread_agrees_only_with_failed() -> None:
    """An abandoned thread while the kernel says CLEANED is a disagreement."""
    harness = finished()
    threads = harness.runtime.threads
    threads["t1"] = dataclasses.replace(threads["t1"], abandoned=True)
    problem = harness.runtime.disagreement(harness.kernel)
    assert (
        problem == "the kernel has task 't1' CLEANED while its thread is "
        "finished (abandoned)"
    )
