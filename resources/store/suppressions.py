"""The `suppressions` and `cadence_pauses` tables: addresses that must never receive mail again
(a hard bounce, an opt-out) and cadences paused because the contact replied. A person may lift a
suppression, with a reason that is kept."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from resources.database import TenantScope
from resources.database.clock import aware
from resources.store.contacts import chunks
from resources.store.schema import cadence_pauses, suppressions
from resources.store.warehouse import record_event

KEPT = "suppressions"  # TenantScope.kept


def suppress(scope: TenantScope, rows: list[dict[str, Any]]) -> Counter[str]:
    """One suppression per address; the first reason stands. Returns the new ones by reason."""
    scope.kept.pop(KEPT, None)
    by_reason: dict[str, dict[str, dict[str, Any]]] = {}
    seen: set[str] = set()
    for row in rows:
        if row["email"] not in seen:
            seen.add(row["email"])
            by_reason.setdefault(row["reason"], {})[row["email"]] = row
    return Counter({
        reason: scope.insert(
            suppressions, list(group.values()), skip_conflicts_on=("tenant_id", "email")
        )
        for reason, group in by_reason.items()
    })


def every_reason(scope: TenantScope) -> dict[str, str]:
    """Every suppressed address of the tenant with its reason, by lower-cased address, read once
    per transaction: an hour's plan asks its cadence engines' stop rules and its own follow-ups,
    eight questions of one small table."""
    if KEPT not in scope.kept:
        address = sa.func.lower(suppressions.c.email)
        scope.kept[KEPT] = dict(scope.execute(scope.select(address, suppressions.c.reason)).all())
    return scope.kept[KEPT]


def reasons(scope: TenantScope, addresses: Iterable[str]) -> dict[str, str]:
    """The suppression reason of each of these addresses that has one, by lower-cased address."""
    found: dict[str, str] = {}
    for part in chunks(sorted({a.lower() for a in addresses})):
        rows = scope.execute(
            scope.select(sa.func.lower(suppressions.c.email), suppressions.c.reason).where(
                sa.func.lower(suppressions.c.email).in_(part)
            )
        ).all()
        found.update(dict(rows))
    return found


def pause_cadences(scope: TenantScope, rows: list[dict[str, Any]]) -> int:
    return scope.insert(cadence_pauses, rows, skip_conflicts_on=("tenant_id", "message_id"))


def listing(scope: TenantScope, reason: str | None, limit: int) -> list[dict[str, Any]]:
    """The newest suppressions first (of one reason, when given)."""
    query = scope.select(suppressions).order_by(suppressions.c.id.desc()).limit(limit)
    if reason:
        query = query.where(suppressions.c.reason == reason)
    return [dict(r) for r in scope.execute(query).mappings()]


def lift(scope: TenantScope, email: str, by: str, why: str, now: datetime) -> dict[str, Any]:
    """Remove the address's suppression, so it may be mailed again, and keep who lifted it, why
    and what it was in a `suppression_lifted` warehouse event: a suppression guards a sender's
    reputation, so undoing one is on the record."""
    address = email.strip().lower()
    row = (
        scope.execute(
            scope.select(suppressions).where(sa.func.lower(suppressions.c.email) == address)
        )
        .mappings()
        .first()
    )
    if row is None:
        raise LookupError(f"{address} is not suppressed for tenant {scope.tenant.slug}")
    scope.execute(sa.delete(suppressions).where(suppressions.c.id == row["id"]))
    scope.kept.pop(KEPT, None)
    record_event(
        scope,
        f"suppression_lifted:{row['id']}",
        "suppression_lifted",
        now,
        {
            "email": row["email"],
            "reason": row["reason"],
            "detail": row["detail"],
            "suppressed_at": aware(row["created_at"]).isoformat(),
            "by": by,
            "why": why,
        },
        None,
        entity_type="suppression",
        entity_id=str(row["id"]),
    )
    return dict(row)
