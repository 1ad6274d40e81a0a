"""Move one cadence's open enrollments forward for one tenant and cycle hour.

Each enrollment is decided by agent/cadence.next_step from where its latest step stands (the
ledger and outbox, resources/store/cadences.py) and the stop rules; a due step becomes an action
under its step key and is recorded as planned in this hour. A rerun of the hour proposes the
same step again (the gate finds it decided) rather than planning the next one, so nothing is
sent twice; every enrollment that sends nothing this hour keeps why (`waiting`, `end_reason`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from agent.actions import Action
from agent.cadence import Cadence, Enrollment, next_step
from agent.calendar import BusinessCalendar
from resources.database import TenantScope
from resources.database.clock import aware
from resources.store import cadences as store

# The action for step `step` of an enrollment row.
MakeAction = Callable[[dict[str, Any], int], Action]


@dataclass
class Advanced:
    actions: list[Action] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)  # proposed, waiting, stopped, completed
    ended: list[tuple[dict[str, Any], str, str]] = field(default_factory=list)  # row, status, why
    planned: list[dict[str, Any]] = field(default_factory=list)  # steps new this hour (no rerun)


def calendar_of(scope: TenantScope) -> BusinessCalendar:
    settings = scope.tenant.settings
    return BusinessCalendar(
        timezone=scope.tenant.timezone,
        country=settings.holidays.country,
        subdivision=settings.holidays.subdivision,
        weekends=settings.send_window.weekends,
        opens_at=settings.send_window.start_hour,
    )


def advance(
    scope: TenantScope,
    cadence_of: Callable[[dict[str, Any]], Cadence],
    rows: list[dict[str, Any]],
    stops: dict[int, str],
    away: dict[int, date],
    hour: datetime,
    make_action: MakeAction,
) -> Advanced:
    """`rows` are the cadence's open enrollments (store.open_enrollments), `stops` the first stop
    rule holding per enrollment, `away` the contacts' out-of-office return dates."""
    calendar = calendar_of(scope)
    done = Advanced()
    if not rows:
        return done
    again = store.planned_in_hour(scope, rows[0]["cadence"], hour)
    planned: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    for row in rows:
        cadence = cadence_of(row)
        if row["id"] in again:
            done.actions.append(make_action(row, again[row["id"]]))
            done.counts["proposed"] += 1
            continue
        decision = next_step(cadence, _enrollment(row, away), stops.get(row["id"]), hour, calendar)
        if decision.status:
            changes.append({"id": row["id"], "status": decision.status, "ended_at": hour,
                            "end_reason": decision.why, "waiting": None, "next_due_at": None,
                            "updated_at": hour})
            done.counts[decision.status] += 1
            done.ended.append((row, decision.status, decision.why))
        elif decision.step:
            action = make_action(row, decision.step)
            done.actions.append(action)
            planned.append({"enrollment_id": row["id"], "step": decision.step,
                            "idempotency_key": action.idempotency_key, "cycle_hour": hour,
                            "planned_at": hour})
            done.counts["proposed"] += 1
        else:
            if (row["waiting"], _aware(row["next_due_at"])) != (decision.why, _utc(decision.until)):
                changes.append({"id": row["id"], "waiting": decision.why,
                                "next_due_at": _utc(decision.until), "updated_at": hour})
            done.counts["waiting"] += 1
    store.update_enrollments(scope, changes)
    store.record_steps(scope, planned)
    done.planned = planned
    return done


def _aware(value: datetime | None) -> datetime | None:
    return aware(value) if value is not None else None


def _utc(value: datetime | None) -> datetime | None:
    """Stored in UTC: SQLite keeps a datetime's wall-clock time and drops its zone."""
    return value.astimezone(UTC) if value is not None else None


def _enrollment(row: dict[str, Any], away: dict[int, date]) -> Enrollment:
    return Enrollment(
        id=row["id"],
        entity_id=row["entity_id"],
        started_at=aware(row["started_at"]),
        status=row["status"],
        steps_planned=row["steps_planned"],
        last_settled_at=row["settled_at"],
        last_pending=row["pending"],
        away_until=away.get(row["contact_id"]),
    )
