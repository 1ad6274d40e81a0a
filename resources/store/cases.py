"""The `cases` table: service-recovery cases, opened from negative feedback or by a person, owned,
and closed with a resolution; services/cases.py decides when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from resources.database import TenantScope
from resources.store.schema import accounts, alerts, cases, contacts, orders, tasks


def insert(scope: TenantScope, values: dict[str, Any]) -> int:
    stmt = sa.insert(cases).values(**values).returning(cases.c.id)
    return int(scope.execute(stmt).scalar_one())


def _detailed() -> sa.Select:
    return (
        sa.select(cases, orders.c.order_number, accounts.c.name.label("account_name"),
                  contacts.c.email.label("contact_email"))
        .select_from(cases)
        .outerjoin(orders, orders.c.id == cases.c.order_id)
        .outerjoin(accounts, accounts.c.id == cases.c.account_id)
        .outerjoin(contacts, contacts.c.id == cases.c.contact_id)
    )


def get(scope: TenantScope, case_id: int) -> dict[str, Any] | None:
    row = scope.execute(_detailed().where(cases.c.id == case_id)).mappings().first()
    return dict(row) if row else None


def listing(scope: TenantScope, status: str | None, limit: int) -> list[dict[str, Any]]:
    """The newest cases first, of one status when given."""
    query = _detailed().order_by(cases.c.id.desc()).limit(limit)
    if status:
        query = query.where(cases.c.status == status)
    return [dict(r) for r in scope.execute(query).mappings()]


def open_cases(scope: TenantScope) -> list[dict[str, Any]]:
    query = scope.select(cases.c.id, cases.c.order_id, cases.c.account_id, cases.c.title,
                         cases.c.source, cases.c.opened_at).where(cases.c.status == "open")
    return [dict(r) for r in scope.execute(query).mappings()]


def statuses(scope: TenantScope, case_ids: list[int]) -> dict[int, str]:
    if not case_ids:
        return {}
    rows = scope.execute(scope.select(cases.c.id, cases.c.status).where(cases.c.id.in_(case_ids)))
    return dict(rows.all())


def close(scope: TenantScope, case_id: int, by: str, resolution: str, now: datetime) -> bool:
    """Close the case if it is open; False when it was not (closed already, or no such case)."""
    done = scope.execute(
        sa.update(cases)
        .where(cases.c.id == case_id, cases.c.status == "open")
        .values(status="closed", closed_at=now, closed_by=by, resolution=resolution,
                updated_at=now)
    )
    return done.rowcount == 1


def assign(scope: TenantScope, case_id: int, owner: str, now: datetime) -> bool:
    done = scope.execute(
        sa.update(cases).where(cases.c.id == case_id).values(owner=owner, updated_at=now)
    )
    return done.rowcount == 1


def alerted(scope: TenantScope, dedupe_keys: list[str]) -> dict[str, dict[str, Any]]:
    """The latest alert raised under each of these keys, whatever its status."""
    if not dedupe_keys:
        return {}
    rows = scope.execute(
        scope.select(alerts.c.id, alerts.c.dedupe_key, alerts.c.status)
        .where(alerts.c.dedupe_key.in_(dedupe_keys))
        .order_by(alerts.c.id)
    ).mappings()
    return {r["dedupe_key"]: dict(r) for r in rows}


def task_opened_by(scope: TenantScope, action_key: str) -> dict[str, Any] | None:
    """The task a person was given by this action (the delivery opens it keyed `task:<key>`)."""
    row = scope.execute(
        scope.select(tasks.c.id, tasks.c.status, tasks.c.title)
        .where(tasks.c.idempotency_key == f"task:{action_key}"[:300])
    ).mappings().first()
    return dict(row) if row else None
