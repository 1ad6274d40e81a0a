"""The `orders` and `order_exceptions` tables: orders waiting for validation, what a check found
(one exception per order and rule; one that no longer fires is resolved), the order's status
after validation, and a safe fix applied with a compare-and-set on the value the check saw."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from agent.orders import Account, Problem, Product
from resources.database import Database, TenantScope
from resources.store.schema import accounts, order_exceptions, orders, products

PENDING = sa.and_(orders.c.status == "new", orders.c.validated_at.is_(None))


def pending(scope: TenantScope, order_ids: list[int] | None = None) -> list[dict[str, Any]]:
    query = scope.select(orders).where(PENDING)
    if order_ids is not None:
        query = query.where(orders.c.id.in_(order_ids))
    return [dict(r) for r in scope.execute(query.order_by(orders.c.id)).mappings()]


def newest_pending(scope: TenantScope) -> int | None:
    """The highest id among orders waiting for validation (what the new-order sensor watches)."""
    return scope.scalar(scope.select(sa.func.max(orders.c.id)).where(PENDING))


def record_checks(
    scope: TenantScope,
    checked: list[int],
    found: list[tuple[int, Problem]],
    statuses: dict[str, list[int]],
    now: datetime,
) -> None:
    """A batch's exceptions, resolutions and statuses in a handful of statements: `found` are
    the (order id, problem) pairs of this check, `statuses` the order ids per new status."""
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
            order_exceptions.c.order_id.in_(checked),
            order_exceptions.c.status == "open",
            sa.not_(still) if found else sa.true(),
        )
        .values(status="resolved", resolved_at=now)
    )
    for status, ids in statuses.items():
        if ids:
            scope.execute(
                sa.update(orders)
                .where(orders.c.id.in_(ids))
                .values(status=status, validated_at=now, updated_at=now)
            )


def apply_fix(db: Database, slug: str, order_id: Any, field: str, old: Any, new: Any) -> bool:
    """Set the order's `field` to `new` if it still holds `old`; False when it changed since."""
    column = orders.c[field]
    unchanged = column.is_(None) if old is None else column == Decimal(old)
    with db.for_tenant(slug) as scope:
        done = scope.execute(
            sa.update(orders)
            .where(orders.c.id == order_id, unchanged)
            .values({field: Decimal(new)})
        )
    return done.rowcount == 1


def catalog(scope: TenantScope) -> dict[str, Product]:
    rows = scope.execute(scope.select(products.c.sku, products.c.price, products.c.tech_fee))
    return {r.sku: Product(Decimal(r.price), Decimal(r.tech_fee)) for r in rows}


def accounts_by_id(scope: TenantScope) -> dict[int, Account]:
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
