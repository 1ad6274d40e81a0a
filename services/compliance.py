"""A person's hand on compliance: schedules created (refused with one clear line when they could
never check anyone), checks completed or waived with who and why. The hourly work is
services/cadence/compliance.py."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from agent.compliance import ScheduleSpec, matches
from resources.database import TenantScope
from resources.store import compliance as store
from resources.store.compliance import ComplianceError


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
