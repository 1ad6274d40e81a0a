"""The `orders` and `order_exceptions` tables: orders waiting for validation, what a check found
(one exception per order and rule; one that no longer fires is resolved), the order's status
after validation, and a safe fix applied with a compare-and-set on the value the check saw; and
what a person reads of them (`steward order list|show|exceptions`)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from agent.orders import Account, Problem, Product
from resources.database import Database, TenantScope
from resources.store.schema import (
    accounts,
    actions,
    contacts,
    order_exceptions,
    orders,
    outbox,
    products,
)

PENDING = sa.and_(orders.c.status == "new", orders.c.validated_at.is_(None))
SEVERITY_ORDER = sa.case((order_exceptions.c.severity == "error", 0), else_=1)


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


def listing(scope: TenantScope, status: str | None, limit: int) -> list[dict[str, Any]]:
    """The newest orders (of one status), each with its customer and open exceptions."""
    query = _with_customer(scope).order_by(orders.c.id.desc()).limit(limit)
    if status:
        query = query.where(orders.c.status == status)
    found = [dict(r) for r in scope.execute(query).mappings()]
    counts = dict(
        scope.execute(
            scope.select(order_exceptions.c.order_id, sa.func.count())
            .where(
                order_exceptions.c.status == "open",
                order_exceptions.c.order_id.in_([r["id"] for r in found]),
            )
            .group_by(order_exceptions.c.order_id)
        ).all()
    )
    return [{**r, "open_exceptions": counts.get(r["id"], 0)} for r in found]


def detail(scope: TenantScope, order_id: int) -> dict[str, Any] | None:
    """One order with its customer and the catalog name of its product; None when the tenant
    has no such order."""
    query = _with_customer(scope, product=True).where(orders.c.id == order_id)
    row = scope.execute(query).mappings().first()
    return dict(row) if row else None


def exceptions_of(scope: TenantScope, order_id: int) -> list[dict[str, Any]]:
    query = (
        scope.select(order_exceptions)
        .where(order_exceptions.c.order_id == order_id)
        .order_by(SEVERITY_ORDER, order_exceptions.c.id)
    )
    return [dict(r) for r in scope.execute(query).mappings()]


def fixes_of(scope: TenantScope, order_number: str) -> list[dict[str, Any]]:
    """The order's safe fixes as the gate decided them, with their delivery (the dispatcher
    applies a fix when it delivers the outbox row)."""
    query = (
        scope.select(
            actions.c.payload,
            actions.c.reason,
            actions.c.status,
            actions.c.decision_reason,
            outbox.c.status.label("delivery"),
            outbox.c.last_error,
        )
        .select_from(
            actions.outerjoin(
                outbox,
                sa.and_(
                    outbox.c.idempotency_key == actions.c.idempotency_key,
                    outbox.c.tenant_id == actions.c.tenant_id,
                ),
            )
        )
        .where(actions.c.kind == "order_fix", actions.c.target == order_number)
        .order_by(actions.c.id)
    )
    return [dict(r) for r in scope.execute(query).mappings()]


def exceptions(
    scope: TenantScope, open_only: bool, severity: str | None, limit: int
) -> list[dict[str, Any]]:
    """Exceptions across the tenant's orders, errors first, then the newest."""
    query = (
        scope.select(order_exceptions, orders.c.order_number)
        .select_from(order_exceptions.join(orders, orders.c.id == order_exceptions.c.order_id))
        .order_by(SEVERITY_ORDER, order_exceptions.c.detected_at.desc(), order_exceptions.c.id)
        .limit(limit)
    )
    if open_only:
        query = query.where(order_exceptions.c.status == "open")
    if severity:
        query = query.where(order_exceptions.c.severity == severity)
    return [dict(r) for r in scope.execute(query).mappings()]


def _with_customer(scope: TenantScope, product: bool = False) -> sa.Select:
    """Orders with the account and contact they name (either may be missing) and, with
    `product`, the catalog name of their product. A join on a natural key (sku, idempotency key)
    names the tenant too: the scope's filter would drop the whole row when another tenant's row
    matched the outer join."""
    joined = orders.outerjoin(accounts, accounts.c.id == orders.c.account_id).outerjoin(
        contacts, contacts.c.id == orders.c.contact_id
    )
    columns = [
        orders,
        accounts.c.name.label("account_name"),
        contacts.c.email.label("contact_email"),
        contacts.c.full_name.label("contact_name"),
    ]
    if product:
        joined = joined.outerjoin(
            products,
            sa.and_(
                products.c.sku == orders.c.product_sku,
                products.c.tenant_id == orders.c.tenant_id,
            ),
        )
        columns.append(products.c.name.label("product_name"))
    return scope.select(*columns).select_from(joined)
