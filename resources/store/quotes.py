"""The `quotes` and `quote_activities` tables: quotes with their contact's address, status
changes as compare-and-sets on the status seen, batched column changes, and the activity log.
services/quotes.py decides which change is allowed and what the log says."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from resources.database import TenantScope
from resources.store.schema import contacts, quote_activities, quotes

# What every activity row starts from; a row gives its quote_id, activity and what it knows.
ACTIVITY = {"from_status": None, "to_status": None, "detail": None, "evidence": None,
            "message_id": None}


def with_contacts(scope: TenantScope, where: Any = None, *, order: Any = None,
                  limit: int | None = None) -> list[dict[str, Any]]:
    """Quotes matching `where`, each with its contact's address, first name and
    out-of-office date."""
    query = (
        scope.select(quotes, contacts.c.email, contacts.c.first_name, contacts.c.ooo_until)
        .select_from(quotes.outerjoin(contacts, contacts.c.id == quotes.c.contact_id))
    )
    if where is not None:
        query = query.where(where)
    if order is not None:
        query = query.order_by(order)
    if limit is not None:
        query = query.limit(limit)
    return [dict(r) for r in scope.execute(query).mappings()]


def by_ids(scope: TenantScope, ids: list[int]) -> dict[int, dict[str, Any]]:
    """These quotes (with_contacts), by id."""
    return {q["id"]: q for q in with_contacts(scope, quotes.c.id.in_(ids))} if ids else {}


def numbers(scope: TenantScope) -> list[str]:
    return list(scope.execute(scope.select(quotes.c.quote_number)).scalars())


def number_taken(scope: TenantScope, number: str) -> bool:
    return bool(scope.scalar(scope.select(quotes.c.id).where(quotes.c.quote_number == number)))


def add(scope: TenantScope, row: dict[str, Any]) -> None:
    scope.insert(quotes, row)


def move(scope: TenantScope, ids: list[int], before: str, values: dict[str, Any]) -> set[int]:
    """Set `values` on those of these quotes still in status `before`; returns the ids moved
    (a person at the CLI and the hourly engine cannot both win)."""
    if not ids:
        return set()
    return set(scope.execute(
        sa.update(quotes).where(quotes.c.id.in_(ids), quotes.c.status == before)
        .values(**values).returning(quotes.c.id)).scalars())


def update_many(scope: TenantScope, rows: list[dict[str, Any]]) -> None:
    """Each row's values (with its `id`) on its quote, batched."""
    scope.update_rows(quotes, rows)


def log(scope: TenantScope, rows: list[dict[str, Any]], by: str, now: datetime) -> None:
    """Activity rows, each with its quote_id and activity, done by `by` at `now`."""
    if rows:
        scope.insert(quote_activities, [
            {**ACTIVITY, "at": now, "by_whom": by[:200], "created_at": now, **row}
            for row in rows])


def activities(scope: TenantScope, quote_id: int) -> list[dict[str, Any]]:
    query = scope.select(quote_activities).where(quote_activities.c.quote_id == quote_id)
    return [dict(r) for r in scope.execute(
        query.order_by(quote_activities.c.at, quote_activities.c.id)).mappings()]

