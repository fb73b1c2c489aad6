"""Walkthroughs of the three machines, row by row, straight from their tables."""

from __future__ import annotations

import pytest
from transitions import MachineError

from lifecycle.machines import machine_for, trigger
from lifecycle.phases import TABLES, TERMINAL, Kind, Phase, Row, events_of
from tests.standins import Model

ROWS = [(kind, row) for kind, table in TABLES.items() for row in table]


def model_for(row: Row, holds: bool) -> Model:
    """A model in the row's source phase whose guards return `holds`."""
    values = dict.fromkeys(
        (
            "all_started", "must_stop", "input_ended", "tasks_stopped",
            "teardown_wanted", "all_cleaned", "some_failed",
        ),
        holds,
    )  # fmt: skip
    set_up = (
        holds if row.guard is None or row.guard.label != "never set up" else not holds
    )
    return Model(row.source, set_up=set_up, **values)


@pytest.mark.parametrize(("kind", "row"), ROWS, ids=lambda v: getattr(v, "event", v))
def test_every_row_moves_as_the_table_says(kind: Kind, row: Row) -> None:
    """Each row's event takes its source phase to its dest phase."""
    model = model_for(row, holds=True)
    assert trigger(kind, row.event, model) is True
    assert model.state is row.dest


DISPATCHER_GUARDED = [row for row in TABLES[Kind.DISPATCHER] if row.guard]


@pytest.mark.parametrize("row", DISPATCHER_GUARDED, ids=lambda row: row.event)
def test_a_dispatcher_row_is_not_taken_while_its_guard_fails(row: Row) -> None:
    """A dispatcher guard that does not hold leaves the phase unchanged."""
    model = model_for(row, holds=False)
    assert trigger(Kind.DISPATCHER, row.event, model) is False
    assert model.state is row.source


@pytest.mark.parametrize("kind", [Kind.TASK, Kind.SERVICE])
@pytest.mark.parametrize(
    ("set_up", "dest"), [(True, Phase.CLEANING), (False, Phase.CLEANED)]
)
def test_clean_runs_cleanup_only_after_setup_returned(
    kind: Kind, set_up: bool, dest: Phase
) -> None:
    """`clean` enters CLEANING when setup returned, CLEANED when it never did."""
    model = Model(Phase.STOPPED, set_up=set_up)
    trigger(kind, "clean", model)
    assert model.state is dest


ILLEGAL = [
    (kind, event, phase)
    for kind, table in TABLES.items()
    for event, sources in events_of(table).items()
    for phase in Phase
    if phase not in sources
]


@pytest.mark.parametrize(("kind", "event", "phase"), ILLEGAL)
def test_an_event_from_a_phase_without_a_row_is_refused(
    kind: Kind, event: str, phase: Phase
) -> None:
    """The machine refuses an event its table has no row for, and stays put."""
    model = Model(phase)
    with pytest.raises(MachineError):
        trigger(kind, event, model)
    assert model.state is phase


@pytest.mark.parametrize("kind", list(Kind))
def test_terminal_phases_have_no_way_out(kind: Kind) -> None:
    """Nothing leaves CLEANED or FAILED."""
    assert not [row for row in TABLES[kind] if row.source in TERMINAL]


@pytest.mark.parametrize("kind", list(Kind))
def test_every_phase_reaches_a_terminal_phase(kind: Kind) -> None:
    """From every phase some path of rows leads to CLEANED or FAILED."""
    reach = {
        phase: {row.dest for row in TABLES[kind] if row.source is phase}
        for phase in Phase
    }
    used = {row.source for row in TABLES[kind]} | {row.dest for row in TABLES[kind]}
    for start in used:
        seen, frontier = {start}, [start]
        while frontier:
            for nxt in reach[frontier.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    frontier.append(nxt)
        assert seen & TERMINAL, f"{kind} cannot end from {start}"


@pytest.mark.parametrize("kind", list(Kind))
def test_the_runtime_machine_has_exactly_the_table_rows(kind: Kind) -> None:
    """The transitions machine holds one transition per row, and no other."""
    machine = machine_for(kind)
    built = {
        (name, source, transition.dest)
        for name, event in machine.events.items()
        for source, transitions in event.transitions.items()
        for transition in transitions
    }
    table = {(r.event, r.source.name, r.dest.name) for r in TABLES[kind]}
    assert built == table
