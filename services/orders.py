"""Order validation: what agent/orders.py decides, over a tenant's new orders, recorded.

New orders (status `new`, never validated) are checked in one pass per tenant: the catalog and
the accounts are read once. Problems become `order_exceptions` rows (one per order and rule; a
rule that no longer fires on a re-check is resolved); clean orders become `validated`, orders
with an error `on_hold` (resources/store/orders.py). Safe fixes are not written here: they are
`order_fix` actions for the gate, applied by the dispatcher through `apply_fix`, so a kill switch
stops them like any other action and each is recorded with its reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from agent.actions import Action, action_key
from agent.orders import FIXABLE, Fix, validate
from resources.database import Database, TenantScope
from resources.store import orders as store


@dataclass
class OrdersResult:
    checked: int = 0
    clean: int = 0
    on_hold: int = 0
    fixes: list[Action] = field(default_factory=list)
    problems: dict[str, int] = field(default_factory=dict)


def validate_new_orders(
    scope: TenantScope, now: datetime, order_ids: list[int] | None = None
) -> OrdersResult:
    rows = store.pending(scope, order_ids)
    result = OrdersResult()
    if not rows:
        return result
    catalog = store.catalog(scope)
    clients = store.accounts_by_id(scope)
    thresholds = scope.tenant.settings.thresholds
    checks = [
        validate(
            row,
            catalog,
            clients.get(row["account_id"]),
            thresholds.price_tolerance_pct,
            Decimal(str(thresholds.default_tech_fee)),
        )
        for row in rows
    ]
    found = [
        (row["id"], p) for row, check in zip(rows, checks, strict=True) for p in check.problems
    ]
    for _, problem in found:
        result.problems[problem.rule] = result.problems.get(problem.rule, 0) + 1
    statuses: dict[str, list[int]] = {"validated": [], "on_hold": []}
    for row, check in zip(rows, checks, strict=True):
        statuses["validated" if check.clean else "on_hold"].append(row["id"])
        result.fixes += [_fix_action(row, fix) for fix in check.fixes]
    store.record_checks(scope, [row["id"] for row in rows], found, statuses, now)
    result.checked = len(rows)
    result.clean, result.on_hold = len(statuses["validated"]), len(statuses["on_hold"])
    return result


def _fix_action(row: dict[str, Any], fix: Fix) -> Action:
    return Action(
        kind="order_fix",
        target=row["order_number"],
        payload={
            "order_id": row["id"],
            "field": fix.field,
            "old": fix.old,
            "new": fix.new,
            "rule": fix.rule,
        },
        reason=fix.reason,
        priority=70,
        idempotency_key=action_key(
            "order_fix", row["order_number"], f"{fix.field}:{fix.old}->{fix.new}"
        ),
    )


def apply_fix(db: Database, slug: str, payload: dict[str, Any]) -> str | None:
    """Apply one order fix if the field still holds what the check saw; the reason otherwise."""
    name = payload.get("field")
    if name not in FIXABLE:
        return f"order fixes may change {', '.join(FIXABLE)}, not {name!r}"
    if not store.apply_fix(
        db, slug, payload.get("order_id"), name, payload.get("old"), payload["new"]
    ):
        return f"order {payload.get('order_id')} changed since the fix was proposed; not applied"
    return None
