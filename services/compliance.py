"""A person's hand on compliance: schedules created (refused with one clear line when they could
never check anyone), checks completed or waived with who and why; and where a tenant's checks
stand, for the `compliance` asset's checks. The hourly work is services/cadence/compliance.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from agent.compliance import ScheduleSpec, matches, standing
from resources.database import TenantScope
from resources.store import compliance as store
from resources.store.compliance import ComplianceError
from services.cadence.advance import calendar_of
from services.cadence.compliance import current_period, entities_of


def create_schedule(scope: TenantScope, spec: ScheduleSpec, by: str, now: datetime) -> int:
    """Add the schedule; a filter that matches none of the tenant's entities is refused."""
    entities = store.targets(scope, spec.target)
    if not any(matches(e, spec.filter) for e in entities):
        have = f"none of its {len(entities)} {spec.target}s" if entities else \
            f"the tenant has no {spec.target}s"
        raise ComplianceError(f"schedule {spec.name!r}: the filter {spec.filter or '{}'} matches "
                              f"nobody ({have})")
    return store.add_schedule(scope, spec, by, now)


def complete_check(scope: TenantScope, check_id: int, by: str, reason: str,
                   now: datetime) -> dict[str, Any]:
    """A person completes a check (the documents were seen, whatever the profile says)."""
    check = _open(scope, check_id, "complete")
    store.update_checks(scope, [{"id": check_id, "status": "complete", "completed_at": now,
                                 "completed_by": by, "note": _reason(reason, "complete")}], now)
    return {**check, "status": "complete"}


def waive_check(scope: TenantScope, check_id: int, by: str, reason: str, until: date | None,
                now: datetime) -> dict[str, Any]:
    """A person waives a check until a date (None: for good); when it runs out the check opens
    again and is validated as any other."""
    check = _open(scope, check_id, "waive")
    if until is not None and until < now.date():
        raise ComplianceError(f"check {check_id}: a waiver until {until} has already run out")
    store.update_checks(scope, [{"id": check_id, "status": "waived", "waived_by": by,
                                 "waived_until": until, "note": _reason(reason, "waive")}], now)
    return {**check, "status": "waived", "waived_until": until}


def _open(scope: TenantScope, check_id: int, verb: str) -> dict[str, Any]:
    check = store.by_ids(scope, [check_id]).get(check_id)
    if check is None:
        raise ComplianceError(f"no compliance check {check_id} (see `steward compliance checks`)")
    if check["status"] not in ("open", "waived"):
        raise ComplianceError(f"check {check_id} is {check['status']}: nothing to {verb}")
    return check


def _reason(reason: str, verb: str) -> str:
    if not reason.strip():
        raise ComplianceError(f"to {verb} a check needs a reason (--reason)")
    return reason.strip()


@dataclass
class TenantCompliance:
    """Where a tenant's checks stand on a day. `covered` of `targeted` entities have a check for
    their schedule's current period; `missing`, `overdue` (past the escalation delay without a
    waiver) and `due_soon` list the others with why."""

    targeted: int = 0
    covered: int = 0
    counts: dict[str, int] = field(default_factory=dict)  # checks by standing
    missing: list[str] = field(default_factory=list)
    overdue: list[str] = field(default_factory=list)
    due_soon: list[str] = field(default_factory=list)

    @property
    def coverage(self) -> float:
        return self.covered / self.targeted if self.targeted else 1.0


def tenant_compliance(scope: TenantScope, today: date) -> TenantCompliance:
    found, calendar = TenantCompliance(), calendar_of(scope)
    active = {s["id"]: s for s in store.schedules(scope)}
    if not active:
        return found
    entities = entities_of(scope, active.values())
    checks = store.active_checks(scope)
    periods = {(c["schedule_id"], c["entity_type"], c["entity_id"], c["due_on"]) for c in checks}
    for schedule in active.values():
        spec: ScheduleSpec = schedule["spec"]
        due, chosen = current_period(schedule, entities, calendar, today)
        if due is None:
            continue
        for entity in chosen:
            found.targeted += 1
            if (schedule["id"], spec.target, entity["id"], due) in periods:
                found.covered += 1
            else:
                found.missing.append(f"{spec.target} {entity['name']}: no check for "
                                     f"{spec.name} due {due}")
    for check in checks:
        spec = active[check["schedule_id"]]["spec"]
        now = standing(check, spec, today)
        found.counts[now.state] = found.counts.get(now.state, 0) + 1
        entity = entities.get((check["entity_type"], check["entity_id"]), {})
        who = f"check {check['id']} {entity.get('name')} ({spec.name}, due {check['due_on']})"
        problems = "; ".join(check["problems"] or []) or "-"
        if now.state == "escalate":
            found.overdue.append(f"{who}: {now.why}: {problems}")
        elif now.state == "due_soon":
            found.due_soon.append(f"{who}: {problems}")
    return found
