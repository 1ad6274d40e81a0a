"""One cycle per tenant at a time, in the database: the second line behind Dagster's tag limit.

A lock row per tenant names its holder (the Dagster run) and expires: a cycle that died holding
it cannot block the tenant for longer than the expiry (agent/alerts.py `CYCLE_LOCK_TTL`), and the
caller reports the takeover as an alert so a person learns that a cycle got stuck. Taking the
lock is an INSERT on a unique key, so of two cycles starting at once exactly one gets it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from agent.alerts import CYCLE_LOCK_TTL
from resources.database import Database, TenantScope
from resources.database.clock import aware
from resources.store.schema import cycle_locks


def acquire(
    db: Database, slug: str, holder: str, hour: datetime, now: datetime
) -> tuple[str | None, dict[str, Any] | None]:
    """(None when `holder` now holds the tenant's lock, else why not; the expired lock of a
    stuck cycle that was taken over on the way, for the caller to report)."""
    with db.for_tenant(slug) as scope:
        stale = (
            scope.execute(scope.select(cycle_locks).where(cycle_locks.c.expires_at < now))
            .mappings()
            .first()
        )
        if stale is not None:
            scope.execute(sa.delete(cycle_locks).where(cycle_locks.c.id == stale["id"]))
            stale = dict(stale)
        taken = scope.insert(
            cycle_locks,
            {
                "holder": holder,
                "cycle_hour": hour,
                "acquired_at": now,
                "expires_at": now + CYCLE_LOCK_TTL,
            },
            skip_conflicts_on=["tenant_id"],
        )
        if taken:
            return None, stale
        current = scope.execute(scope.select(cycle_locks)).mappings().first()
    if current is not None and current["holder"] == holder:
        return None, stale
    if current is None:
        return "the lock was released while we looked; try again", stale
    return (
        f"another cycle holds the lock (run {current['holder'][:8]}, since "
        f"{aware(current['acquired_at']):%H:%M} UTC)"
    ), stale


def release(scope: TenantScope, holder: str) -> None:
    """In the caller's transaction: a cycle closes its record and frees the tenant at once."""
    scope.execute(sa.delete(cycle_locks).where(cycle_locks.c.holder == holder))
