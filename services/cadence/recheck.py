"""The stop rules again, just before a cadence step leaves: a reply, a bounce or the deal closing
between the cycle's plan and the dispatch must stop the step, not only the next one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from resources.database import TenantScope
from resources.store.contacts import chunks
from resources.store.schema import cadence_enrollments, cadence_steps
from services.cadence.compliance import ESCALATION, REMINDER, compliance_stops
from services.cadence.deals import NAME as DEALS
from services.cadence.deals import deal_stops
from services.cadence.feedback import NAME as FEEDBACK
from services.cadence.feedback import feedback_stops
from services.cadence.quotes import NAME as QUOTES
from services.cadence.quotes import quote_stops
from services.cadence.stops import shared_stops

ENTITY_STOPS: dict[str, Callable[[TenantScope, list[dict[str, Any]]], dict[int, str]]] = {
    DEALS: deal_stops,
    FEEDBACK: feedback_stops,
    QUOTES: quote_stops,
    REMINDER: compliance_stops,
    ESCALATION: compliance_stops,
}


def stopped_steps(scope: TenantScope, keys: list[str]) -> dict[str, str]:
    """Why each of these outbox keys that is a cadence step must not go out now, by key."""
    steps: dict[str, dict[str, Any]] = {}
    for part in chunks(keys):
        rows = scope.execute(
            scope.select(cadence_steps.c.idempotency_key, cadence_enrollments)
            .select_from(cadence_steps)
            .join(cadence_enrollments, cadence_enrollments.c.id == cadence_steps.c.enrollment_id)
            .where(cadence_steps.c.idempotency_key.in_(part))
        ).mappings()
        steps.update({r["idempotency_key"]: dict(r) for r in rows})
    if not steps:
        return {}
    enrollments = list({s["id"]: s for s in steps.values()}.values())
    stops = shared_stops(scope, enrollments)
    for cadence, entity_stops in ENTITY_STOPS.items():
        mine = [e for e in enrollments if e["cadence"] == cadence]
        if mine:
            stops = {**entity_stops(scope, mine), **stops}
    found = {}
    for key, step in steps.items():
        if step["status"] in ("stopped", "paused"):
            found[key] = f"the {step['cadence']} cadence is {step['status']}" + (
                f": {step['end_reason']}" if step["end_reason"] else "")
        elif step["id"] in stops:
            found[key] = f"stopped before sending: {stops[step['id']]}"
    return found
