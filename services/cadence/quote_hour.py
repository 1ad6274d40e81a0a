"""What an hour of the quotes engine changes on the quotes themselves, in batches: each step new
this hour counted (`follow_up_count`) and logged, the end of the follow-ups logged and, while the
quote is undecided, marked for a person, and when its next follow-up is due
(`next_follow_up_at`, asked of the cadence's own rule; None while one is on its way)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from agent.cadence import Cadence, Enrollment, next_step
from agent.calendar import BusinessCalendar
from resources.database import TenantScope
from resources.database.clock import aware
from resources.store import quotes as quote_store
from services import quotes as lifecycle
from services.cadence.advance import Advanced, calendar_of

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def record_hour(scope: TenantScope, rows: list[dict], done: Advanced, by_id: dict[int, dict],
                cadence: Cadence, hour: datetime) -> None:
    """`rows` are the open enrollments the hour advanced, `by_id` their quotes."""
    quote_of = {row["id"]: row["entity_id"] for row in rows}
    planned = {quote_of[p["enrollment_id"]]: p["step"] for p in done.planned}
    why = {a.payload["quote_id"]: f"{a.reason}, to {a.target}" for a in done.actions}
    notes = [{"quote_id": q, "activity": "follow_up", "detail": why[q]} for q in planned]
    ended, marks = set(), []
    for row, status, reason in done.ended:
        quote = by_id.get(row["entity_id"])
        ended.add(row["entity_id"])
        if quote is None or quote["status"] not in lifecycle.OPEN:
            continue
        notes.append({"quote_id": quote["id"], "detail": reason, "activity":
                      "follow_ups_done" if status == "completed" else "follow_ups_stopped"})
        if not quote["needs_attention"]:
            marks.append((quote, f"no decision after all {cadence.maximum} follow-ups"
                          if status == "completed"
                          else f"follow-ups stopped without a decision: {reason}"))
    lifecycle.note_many(scope, notes, "steward", hour)
    lifecycle.attention_many(scope, marks, hour)
    on_the_way = set(why) | ended | {row["entity_id"] for row in rows if row["pending"]}
    calendar, away, changes = calendar_of(scope), away_until(by_id), []
    for row in rows:
        quote = by_id.get(row["entity_id"])
        if quote is None or quote["status"] not in lifecycle.OPEN:
            continue
        due = None if quote["id"] in on_the_way else next_due(row, cadence, calendar, away)
        values = {"follow_up_count": planned[quote["id"]]} if quote["id"] in planned else {}
        if due != (aware(quote["next_follow_up_at"]) if quote["next_follow_up_at"] else None):
            values["next_follow_up_at"] = due
        if values:
            changes.append({"id": quote["id"], "updated_at": hour, **values})
    quote_store.update_many(scope, changes)


def away_until(by_id: dict[int, dict]) -> dict[int, date]:
    """The quotes' contacts' out-of-office return dates, by contact."""
    return {q["contact_id"]: q["ooo_until"] for q in by_id.values() if q["ooo_until"]}


def next_due(row: dict[str, Any], cadence: Cadence, calendar: BusinessCalendar,
             away: dict[int, date]) -> datetime | None:
    """When the enrollment's next step falls due, in UTC (None: it is paused, ended or has a
    step on its way): the cadence's own rule asked as of the beginning of time, so that it
    answers with the date instead of "due now"."""
    enrollment = Enrollment(
        id=row["id"], entity_id=row["entity_id"], started_at=aware(row["started_at"]),
        status=row["status"], steps_planned=row["steps_planned"],
        last_settled_at=row["settled_at"], last_pending=row["pending"],
        away_until=away.get(row["contact_id"]))
    until = next_step(cadence, enrollment, None, EPOCH, calendar).until
    return until.astimezone(UTC) if until else None
