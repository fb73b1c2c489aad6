"""docs/semantics.md lists the machines' rows exactly as `lifecycle.phases` has them."""

from __future__ import annotations

from pathlib import Path

import pytest

from lifecycle.phases import TABLES, Kind

DOC = Path(__file__).resolve().parents[2] / "docs" / "semantics.md"


def table_markdown(kind: Kind) -> str:
    """The rows of one machine as the markdown table the document shows."""
    lines = ["| event | from | to | guard |", "| --- | --- | --- | --- |"]
    for row in TABLES[kind]:
        guard = row.guard.label if row.guard else ""
        phases = f"{row.source.name} | {row.dest.name}"
        lines.append(f"| `{row.event}` | {phases} | {guard} |")
    return "\n".join(lines)


@pytest.mark.parametrize("kind", list(Kind))
def test_the_document_shows_each_machine_as_its_table(kind: Kind) -> None:
    """A change to a table that the document does not follow fails here."""
    assert table_markdown(kind) in DOC.read_text(encoding="utf-8")
