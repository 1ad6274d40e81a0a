"""The cadences' store on both databases: a transaction reads every cadence's open enrollments
and the hour's planned steps once, and each of its own writes is seen by the next question."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import sqlalchemy as sa

from resources.database import Database
from resources.store.cadences import (
    enroll,
    open_enrollments,
    planned_in_hour,
    record_steps,
    update_enrollment,
    update_enrollments,
)
from resources.store.tenants import add_tenant

HOUR = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def _enrollment(cadence: str, entity_id: int) -> dict:
    return {"cadence": cadence, "entity_type": "deal", "entity_id": entity_id, "round": 1,
            "address": f"c{entity_id}@acme.example", "started_at": HOUR}


@contextmanager
def _counted(db: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)


def _entities(rows: list[dict]) -> list[int]:
    return [r["entity_id"] for r in rows]


def test_one_read_serves_every_cadence_and_each_write_is_seen_next(db: Database):
    add_tenant(db, "acme")
    with db.for_tenant("acme") as scope:
        enroll(scope, [_enrollment("deals", 1), _enrollment("quotes", 2)])
    with db.for_tenant("acme") as scope:
        assert _entities(open_enrollments(scope, "deals")) == [1]
        with _counted(db) as statements:
            quotes = open_enrollments(scope, "quotes")
            assert open_enrollments(scope, "feedback") == []
            assert planned_in_hour(scope, "quotes", HOUR) == {}
            assert planned_in_hour(scope, "deals", HOUR) == {}
        assert _entities(quotes) == [2] and len(statements) == 1  # the hour's planned steps

        quotes[0]["status"] = "paused"  # the caller's copy
        assert open_enrollments(scope, "quotes")[0]["status"] == "active"

        enroll(scope, [_enrollment("deals", 3), _enrollment("deals", 1)])  # 1 is there already
        deals = open_enrollments(scope, "deals")
        assert _entities(deals) == [1, 3]

        update_enrollments(scope, [{"id": deals[0]["id"], "status": "stopped"}])
        assert _entities(open_enrollments(scope, "deals")) == [3]
        update_enrollment(scope, deals[1]["id"], HOUR, status="paused")
        assert [r["status"] for r in open_enrollments(scope, "deals")] == ["paused"]

        record_steps(scope, [{"enrollment_id": quotes[0]["id"], "step": 1, "cycle_hour": HOUR,
                              "idempotency_key": "quote_follow_up:quote:2:1", "planned_at": HOUR}])
        assert planned_in_hour(scope, "quotes", HOUR) == {quotes[0]["id"]: 1}
        (quote,) = open_enrollments(scope, "quotes")
        assert (quote["steps_planned"], quote["pending"]) == (1, "not yet through the gate")
        assert planned_in_hour(scope, "deals", HOUR) == {}

    with db.for_tenant("acme") as scope:  # a new transaction reads what the last one wrote
        assert _entities(open_enrollments(scope, "deals")) == [3]
        assert planned_in_hour(scope, "quotes", HOUR) == {quotes[0]["id"]: 1}
