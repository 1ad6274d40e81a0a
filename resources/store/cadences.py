"""The `cadence_enrollments` and `cadence_steps` tables, and where each enrollment's latest step
stands in the ledger and the outbox (agent/cadence.py decides what to do with that)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from resources.database import TenantScope
from resources.database.clock import aware
from resources.store.contacts import chunks
from resources.store.schema import actions, cadence_enrollments, cadence_steps, outbox

OPEN = ("active", "paused")
SENT = ("sent", "dry_run", "delivered")
NOT_SENT = ("failed", "blocked")  # outbox outcomes that end a step without mail
REFUSED = ("blocked", "rejected", "expired")  # ledger outcomes that end a step without mail
KEPT = "cadences"  # TenantScope.kept: the open enrollments and steps planned this transaction read


def open_enrollments(scope: TenantScope, cadence: str) -> list[dict[str, Any]]:
    """The cadence's active and paused enrollments, each with its latest step's standing:
    `settled_at` (sent, or finally not sent) or `pending` (why it is still on its way).

    An hour's engines ask for five cadences or more in turn, so the first question in a
    transaction reads every cadence's at once; a cadence whose enrollments or steps were written
    since is read again on its own. The rows are the caller's to change."""
    kept = _kept(scope)
    if cadence in kept.stale:
        kept.rows[cadence] = _read_open(scope, cadence).get(cadence, [])
        kept.stale.discard(cadence)
    return [dict(row) for row in kept.rows.get(cadence, [])]


@dataclass
class _Kept:
    """What `open_enrollments` and `planned_in_hour` read in this transaction (TenantScope.kept)."""

    rows: dict[str, list[dict[str, Any]]]  # by cadence
    stale: set[str] = field(default_factory=set)  # cadences whose rows were written since
    hour: datetime | None = None  # the hour of `planned`
    planned: dict[str, dict[int, int]] = field(default_factory=dict)  # by cadence
    stale_planned: set[str] = field(default_factory=set)


def _kept(scope: TenantScope) -> _Kept:
    """The transaction's kept reads, every cadence's open enrollments read on first use."""
    if KEPT not in scope.kept:
        scope.kept[KEPT] = _Kept(_read_open(scope, None))
    return scope.kept[KEPT]


def _read_open(scope: TenantScope, cadence: str | None) -> dict[str, list[dict[str, Any]]]:
    """Open enrollments (of `cadence`, or of all) with their latest steps' standing, by cadence."""
    where = [cadence_enrollments.c.status.in_(OPEN)]
    if cadence is not None:
        where.append(cadence_enrollments.c.cadence == cadence)
    rows = [dict(r) for r in scope.execute(
        scope.select(cadence_enrollments).where(*where).order_by(cadence_enrollments.c.id)
    ).mappings()]
    latest = _latest_steps(scope, [r for r in rows if r["steps_planned"]])
    found: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        row.update(latest.get(row["id"], {"settled_at": None, "pending": None, "outcome": None}))
        found.setdefault(row["cadence"], []).append(row)
    return found


def _written(
    scope: TenantScope, ids: set[int], cadences: set[str] = frozenset(), steps: bool = False
) -> None:
    """Mark what a write changed as stale in the transaction's kept reads: the cadences named
    and those of the enrollment ids (all of it for an id the reads do not know)."""
    kept = scope.kept.get(KEPT)
    if kept is None:
        return
    known = {row["id"]: name for name, rows in kept.rows.items() for row in rows}
    if not ids <= known.keys():
        del scope.kept[KEPT]
        return
    names = cadences | {known[i] for i in ids}
    kept.stale |= names
    if steps:
        kept.stale_planned |= names


def _latest_steps(scope: TenantScope, rows: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    found: dict[int, dict[str, Any]] = {}
    for part in chunks(rows):
        wanted = sa.tuple_(cadence_steps.c.enrollment_id, cadence_steps.c.step).in_(
            [(r["id"], r["steps_planned"]) for r in part]
        )
        for step in _steps(scope, wanted):
            found[step["enrollment_id"]] = standing(step)
    return found


def _steps(scope: TenantScope, where: Any) -> list[dict[str, Any]]:
    """Steps with their ledger decision and outbox delivery, joined on the step key."""
    return [dict(r) for r in scope.execute(
        scope.select(
            cadence_steps.c.enrollment_id,
            cadence_steps.c.step,
            cadence_steps.c.idempotency_key,
            cadence_steps.c.planned_at,
            actions.c.status.label("decision"),
            actions.c.decision_reason,
            actions.c.not_before,
            actions.c.updated_at.label("decided_at"),
            outbox.c.status.label("delivery"),
            outbox.c.sent_at,
            outbox.c.last_error,
            outbox.c.updated_at.label("delivered_at"),
        )
        .select_from(cadence_steps)
        .outerjoin(actions, actions.c.idempotency_key == cadence_steps.c.idempotency_key)
        .outerjoin(outbox, outbox.c.idempotency_key == cadence_steps.c.idempotency_key)
        .where(where)
        .order_by(cadence_steps.c.enrollment_id, cadence_steps.c.step)
    ).mappings()]


def history(scope: TenantScope, cadence: str, entity_id: int) -> list[dict[str, Any]]:
    """Every enrollment of the entity in the cadence, oldest first, each with its steps and
    where each step stands (for `steward deal show` and its kin)."""
    rows = [dict(r) for r in scope.execute(
        scope.select(cadence_enrollments).where(
            cadence_enrollments.c.cadence == cadence, cadence_enrollments.c.entity_id == entity_id
        ).order_by(cadence_enrollments.c.round)
    ).mappings()]
    steps = _steps(scope, cadence_steps.c.enrollment_id.in_([r["id"] for r in rows])) \
        if rows else []
    for row in rows:
        row["steps"] = [{**s, **standing(s)} for s in steps if s["enrollment_id"] == row["id"]]
    return rows


def standing(step: dict[str, Any]) -> dict[str, Any]:
    """Sent (settled when it went), finally not sent (settled, with why), or still on its way."""
    delivery, decision = step["delivery"], step["decision"]
    if delivery in SENT:
        when = step["sent_at"] or step["delivered_at"]
        return {"settled_at": aware(when), "pending": None, "outcome": "sent"}
    if delivery in NOT_SENT:
        return {"settled_at": aware(step["delivered_at"]), "pending": None,
                "outcome": f"not sent ({delivery}): {step['last_error']}"}
    if decision in REFUSED:
        return {"settled_at": aware(step["decided_at"]), "pending": None,
                "outcome": f"not sent ({decision}): {step['decision_reason']}"}
    if decision is None:
        return {"settled_at": None, "pending": "not yet through the gate", "outcome": None}
    if decision == "deferred" and step["not_before"]:
        why = f"deferred until {aware(step['not_before']):%Y-%m-%d %H:%M} UTC: " \
              f"{step['decision_reason']}"
    else:
        why = delivery or decision
    return {"settled_at": None, "pending": why, "outcome": None}


def enroll(scope: TenantScope, rows: list[dict[str, Any]]) -> int:
    inserted = scope.insert(
        cadence_enrollments,
        rows,
        skip_conflicts_on=("tenant_id", "cadence", "entity_type", "entity_id", "round"),
    )
    if inserted:
        _written(scope, set(), {r["cadence"] for r in rows})
    return inserted


def latest_rounds(scope: TenantScope, cadence: str, entity_ids: list[int]) -> dict[int, dict]:
    """Each entity's latest enrollment in the cadence (any status): round, status, started_at."""
    found: dict[int, dict] = {}
    for part in chunks(entity_ids):
        rows = scope.execute(
            scope.select(
                cadence_enrollments.c.entity_id,
                cadence_enrollments.c.round,
                cadence_enrollments.c.status,
                cadence_enrollments.c.started_at,
            ).where(
                cadence_enrollments.c.cadence == cadence,
                cadence_enrollments.c.entity_id.in_(part),
            )
        ).mappings()
        for row in rows:
            if row["entity_id"] not in found or row["round"] > found[row["entity_id"]]["round"]:
                found[row["entity_id"]] = dict(row)
    return found


def record_steps(scope: TenantScope, rows: list[dict[str, Any]]) -> int:
    """The steps planned this hour; a rerun of the hour plans the same keys and adds nothing."""
    inserted = scope.insert(
        cadence_steps, rows, skip_conflicts_on=("tenant_id", "enrollment_id", "step")
    )
    scope.update_rows(cadence_enrollments, [
        {"id": r["enrollment_id"], "steps_planned": r["step"], "updated_at": r["planned_at"]}
        for r in rows
    ])
    _written(scope, {r["enrollment_id"] for r in rows}, steps=True)
    return inserted


def planned_in_hour(scope: TenantScope, cadence: str, hour: datetime) -> dict[int, int]:
    """Steps of the cadence planned in this cycle hour, by enrollment: a rerun proposes them again
    (the gate then finds them decided) instead of planning the next step. Read for every
    cadence at once, as `open_enrollments` is."""
    kept = _kept(scope)
    if kept.hour != hour:
        kept.hour, kept.planned, kept.stale_planned = hour, _read_planned(scope, None, hour), set()
    elif cadence in kept.stale_planned:
        kept.planned[cadence] = _read_planned(scope, cadence, hour).get(cadence, {})
        kept.stale_planned.discard(cadence)
    return dict(kept.planned.get(cadence, {}))


def _read_planned(
    scope: TenantScope, cadence: str | None, hour: datetime
) -> dict[str, dict[int, int]]:
    """Steps planned in `hour` (of `cadence`, or of all), by cadence and enrollment."""
    where = [cadence_steps.c.cycle_hour == hour]
    if cadence is not None:
        where.append(cadence_enrollments.c.cadence == cadence)
    rows = scope.execute(
        scope.select(cadence_enrollments.c.cadence, cadence_steps.c.enrollment_id,
                     cadence_steps.c.step)
        .select_from(cadence_steps)
        .join(cadence_enrollments, cadence_enrollments.c.id == cadence_steps.c.enrollment_id)
        .where(*where)
    ).all()
    found: dict[str, dict[int, int]] = {}
    for name, enrollment, step in rows:
        found.setdefault(name, {})[enrollment] = step
    return found


def update_enrollments(scope: TenantScope, rows: list[dict[str, Any]]) -> None:
    """Each row's values (with its `id`) on its enrollment, batched."""
    scope.update_rows(cadence_enrollments, rows)
    _written(scope, {r["id"] for r in rows})


def update_enrollment(scope: TenantScope, enrollment_id: int, now: datetime, **values) -> None:
    scope.execute(
        sa.update(cadence_enrollments)
        .where(cadence_enrollments.c.id == enrollment_id)
        .values(updated_at=now, **values)
    )
    _written(scope, {enrollment_id})
