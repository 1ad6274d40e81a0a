"""Order validation against the database: what agent/orders.py decides, read and recorded.

New orders (status `new`, never validated) are checked in one pass per tenant: the catalog and
the accounts are read once. Problems become `order_exceptions` rows (one per order and rule; a
rule that no longer fires on a re-check is resolved); clean orders become `validated`, orders
with an error `on_hold`. Safe fixes are not written here: they are `order_fix` actions for the
gate, applied by the dispatcher through `apply_fix`, so a kill switch stops them like any other
action and each is recorded with its reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from agent.actions import Action, action_key
from agent.orders import Account, Fix, OrderCheck, Product, validate
from resources.database import Database, TenantScope
from resources.store.schema import accounts, order_exceptions, orders, products

FIXABLE = ("tech_fee", "total_amount")
PENDING = sa.and_(orders.c.status == "new", orders.c.validated_at.is_(None))


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
    query = scope.select(orders).where(PENDING)
    if order_ids is not None:
        query = query.where(orders.c.id.in_(order_ids))
    rows = [dict(r) for r in scope.execute(query.order_by(orders.c.id)).mappings()]
    result = OrdersResult()
    if not rows:
        return result
    catalog = _catalog(scope)
    clients = _accounts(scope)
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
    _record(scope, rows, checks, now, result)
    return result


def _record(
    scope: TenantScope,
    rows: list[dict[str, Any]],
    checks: list[OrderCheck],
    now: datetime,
    result: OrdersResult,
) -> None:
    """All of a batch's exceptions, resolutions and statuses in a handful of statements."""
    found = [
        (row["id"], p) for row, check in zip(rows, checks, strict=True) for p in check.problems
    ]
    for _, problem in found:
        result.problems[problem.rule] = result.problems.get(problem.rule, 0) + 1
    scope.insert(
        order_exceptions,
        [
            {
                "order_id": order_id,
                "rule": p.rule,
                "severity": p.severity,
                "reason": p.reason,
                "detected_at": now,
            }
            for order_id, p in found
        ],
        skip_conflicts_on=["tenant_id", "order_id", "rule"],
    )
    still = sa.tuple_(order_exceptions.c.order_id, order_exceptions.c.rule).in_(
        [(order_id, p.rule) for order_id, p in found]
    )
    scope.execute(
        sa.update(order_exceptions)
        .where(
            order_exceptions.c.order_id.in_([row["id"] for row in rows]),
            order_exceptions.c.status == "open",
            sa.not_(still) if found else sa.true(),
        )
        .values(status="resolved", resolved_at=now)
    )
    result.checked += len(rows)
    for status, clean in (("validated", True), ("on_hold", False)):
        ids = [row["id"] for row, check in zip(rows, checks, strict=True) if check.clean is clean]
        if ids:
            scope.execute(
                sa.update(orders)
                .where(orders.c.id.in_(ids))
                .values(status=status, validated_at=now, updated_at=now)
            )
        if clean:
            result.clean += len(ids)
        else:
            result.on_hold += len(ids)
    for row, check in zip(rows, checks, strict=True):
        result.fixes += [_fix_action(row, fix) for fix in check.fixes]


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


def newest_pending(scope: TenantScope) -> int | None:
    """The highest id among orders waiting for validation (what the new-order sensor watches)."""
    return scope.scalar(scope.select(sa.func.max(orders.c.id)).where(PENDING))


def apply_fix(db: Database, slug: str, payload: dict[str, Any]) -> str | None:
    """Apply one order fix if the field still holds what the check saw; the reason otherwise."""
    name = payload.get("field")
    if name not in FIXABLE:
        return f"order fixes may change {', '.join(FIXABLE)}, not {name!r}"
    column = orders.c[name]
    unchanged = (
        column.is_(None) if payload.get("old") is None else column == Decimal(payload["old"])
    )
    with db.for_tenant(slug) as scope:
        done = scope.execute(
            sa.update(orders)
            .where(orders.c.id == payload.get("order_id"), unchanged)
            .values({name: Decimal(payload["new"])})
        )
    if done.rowcount != 1:
        return f"order {payload.get('order_id')} changed since the fix was proposed; not applied"
    return None


def _catalog(scope: TenantScope) -> dict[str, Product]:
    rows = scope.execute(scope.select(products.c.sku, products.c.price, products.c.tech_fee))
    return {r.sku: Product(Decimal(r.price), Decimal(r.tech_fee)) for r in rows}


def _accounts(scope: TenantScope) -> dict[int, Account]:
    rows = scope.execute(
        scope.select(
            accounts.c.id,
            accounts.c.active,
            accounts.c.credit_limit,
            accounts.c.outstanding_balance,
        )
    )
    return {
        r.id: Account(bool(r.active), Decimal(r.credit_limit), Decimal(r.outstanding_balance))
        for r in rows
    }


def exception_rate(scope: TenantScope) -> tuple[int, int]:
    """(validated orders with an open exception, validated orders) for the asset check."""
    validated = orders.c.validated_at.is_not(None)
    total = scope.scalar(scope.select(sa.func.count()).select_from(orders).where(validated))
    flagged = scope.scalar(
        scope.select(sa.func.count(sa.distinct(order_exceptions.c.order_id))).where(
            order_exceptions.c.status == "open"
        )
    )
    return int(flagged or 0), int(total or 0)
