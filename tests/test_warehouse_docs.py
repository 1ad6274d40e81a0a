"""docs/warehouse.md is the data dictionary: it names every fact table and column with the
comment the database carries, every warehouse_events column, and every event type with its
payload keys. A schema change that leaves the document behind fails here."""

from __future__ import annotations

import re
from pathlib import Path

from migrations.warehouse_v1 import EVENTS
from resources.store import schema

DOC = Path(__file__).parent.parent / "docs" / "warehouse.md"


def _tables(text: str) -> dict[str, dict[str, str]]:
    """Each `### analytics.NAME` section's | column | meaning | rows."""
    sections = re.split(r"^### analytics\.(\w+)\n", text, flags=re.M)[1:]
    found = {}
    for name, body in zip(sections[::2], sections[1::2], strict=True):
        rows = re.findall(r"^\| (\w+) \| (.+) \|$", body.split("\n## ")[0], flags=re.M)
        found[name] = {column: meaning for column, meaning in rows if column != "column"}
    return found


def test_every_analytics_table_and_column_is_documented_with_its_comment() -> None:
    documented = _tables(DOC.read_text())
    assert set(documented) == {t.name for t in schema.ANALYTICS_TABLES} | set(
        schema.ANALYTICS_VIEWS)
    for table in schema.ANALYTICS_TABLES:
        assert documented[table.name] == {c.name: c.comment for c in table.c}, table.name
        assert table.comment and all(c.comment for c in table.c)


def test_every_event_column_type_and_payload_key_is_documented() -> None:
    text = DOC.read_text()
    events = text.split("## Events: warehouse_events")[1].split("## Facts")[0]
    described, events = events.split("Schema version 1:")
    columns = dict(re.findall(r"^\| (\w+) \| (.+) \|$", described, flags=re.M))
    assert set(columns) - {"column"} == {c.name for c in schema.warehouse_events.c}
    catalog = {m[0]: set(m[1].split(", ")) for m in
               re.findall(r"^\| (\w+) \| [^|]+ \| \w+ \| ([\w, ]+) \|$", events, flags=re.M)
               if m[0] != "event_type"}
    expected: dict[str, set[str]] = {}
    for event in EVENTS:
        expected.setdefault(event.event_type, set()).update(event.payload)
    assert catalog == expected
