"""Service-recovery cases: a client unhappy with an order gets a person's attention, on record.

Negative feedback opens a case (services/cadence/feedback_replies.py); it has an owner (the
tenant's alert address until someone takes it), holds further feedback requests to the order's
account while it is open, and is closed by a person with the resolution and their name. A case
opened from feedback is announced once as an alert (`alert_new_cases`, run where the cycle puts
its actions through the gate, which holds the Alerts resource); closing the case resolves that
alert in the same person's name. Opening and closing are warehouse events for analysts.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from resources.alerts import Alerts
from resources.database import TenantScope
from resources.database.clock import aware
from resources.store import alerts as alert_store
from resources.store import cases as store
from resources.store.warehouse import record_event

ALERT_RULE = "service_recovery"
# A case older than this that was never announced (it predates the rule) is not announced now.
ANNOUNCE_WITHIN = timedelta(days=7)
STATUSES = ("open", "closed")


class CaseError(ValueError):
    """A person's request about a case that cannot be done, with the reason."""


def alert_key(case_id: int) -> str:
    return f"{ALERT_RULE}:case:{case_id}"


def open_case(scope: TenantScope, now: datetime, *, title: str, detail: str, source: str,
              order_id: int | None = None, account_id: int | None = None,
              contact_id: int | None = None, owner: str | None = None) -> int:
    """Open a case; its owner defaults to the tenant's alert address (the person who hears of
    it first). Returns the case's id."""
    owner = owner or scope.tenant.settings.alert_email
    case_id = store.insert(scope, {
        "order_id": order_id, "account_id": account_id, "contact_id": contact_id,
        "title": title[:300], "detail": detail, "source": source, "status": "open",
        "owner": owner, "opened_at": now, "created_at": now, "updated_at": now})
    record_event(scope, f"case_opened:{case_id}", "case_opened", now,
                 {"case_id": case_id, "source": source, "order_id": order_id,
                  "account_id": account_id, "owner": owner}, None, "case", str(case_id))
    return case_id


def close_case(scope: TenantScope, case_id: int, by: str, resolution: str,
               now: datetime) -> dict[str, Any]:
    """A person closes an open case with its resolution; its alert is resolved in their name."""
    if not resolution.strip():
        raise CaseError("closing a case needs its resolution (--resolution)")
    case = _existing(scope, case_id)
    if not store.close(scope, case_id, by, resolution.strip(), now):
        raise CaseError(f"case {case_id} is already closed (by {case['closed_by'] or '-'})")
    alert = store.alerted(scope, [alert_key(case_id)]).get(alert_key(case_id))
    if alert and alert["status"] in alert_store.ACTIVE:
        alert_store.close(scope, alert["id"], by, now)
    record_event(scope, f"case_closed:{case_id}", "case_closed", now,
                 {"case_id": case_id, "by": by, "resolution": resolution.strip(),
                  "open_hours": round((now - aware(case["opened_at"])).total_seconds() / 3600,
                                      1)},
                 None, "case", str(case_id))
    return _existing(scope, case_id)


def assign_case(scope: TenantScope, case_id: int, owner: str, now: datetime) -> dict[str, Any]:
    if not owner.strip():
        raise CaseError("a case's owner cannot be blank")
    _existing(scope, case_id)
    store.assign(scope, case_id, owner.strip(), now)
    return _existing(scope, case_id)


def holding_case(row: dict[str, Any], cases: list[dict[str, Any]]) -> str | None:
    """Why an open case holds mail about this order (`row` has its order_id and account_id):
    the order's own case first, then its account's; None when none is open."""
    for case in cases:
        if case["order_id"] is not None and case["order_id"] == row["order_id"]:
            return f"case {case['id']} is open for the order: {case['title']}"
    for case in cases:
        if row["account_id"] is not None and case["account_id"] == row["account_id"]:
            return f"case {case['id']} is open for the account: {case['title']}"
    return None


def alert_new_cases(scope: TenantScope, alerts: Alerts, now: datetime) -> int:
    """Raise one alert for each open case from feedback not yet announced; closing the case
    resolves it. Returns how many were raised."""
    fresh = [c for c in store.open_cases(scope)
             if c["source"] == "feedback" and now - aware(c["opened_at"]) <= ANNOUNCE_WITHIN]
    known = store.alerted(scope, [alert_key(c["id"]) for c in fresh])
    raised = 0
    for case in fresh:
        if alert_key(case["id"]) in known:
            continue
        full = store.get(scope, case["id"]) or case
        alerts.raise_(
            scope, ALERT_RULE, alert_key(case["id"]), f"case {case['id']}: {case['title']}",
            f"{full.get('detail') or ''} Owner: {full.get('owner') or 'nobody yet'}. Close it "
            f"with `steward case close {case['id']} --tenant {scope.tenant.slug} --resolution "
            "...` once the client is looked after.",
            now, "warning")
        raised += 1
    return raised


def _existing(scope: TenantScope, case_id: int) -> dict[str, Any]:
    case = store.get(scope, case_id)
    if case is None:
        raise CaseError(f"no case {case_id} for tenant {scope.tenant.slug} "
                        "(see `steward case list`)")
    return case
