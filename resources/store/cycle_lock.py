"""One cycle per tenant at a time, in the database: the second line behind Dagster's tag limit.

A lock row per tenant names its holder (the Dagster run) and expires: a cycle that died holding
it cannot block the tenant for longer than the expiry, and the takeover is reported as an alert
so a person learns that a cycle got stuck. Taking the lock is an INSERT on a unique key, so of
two cycles starting at once exactly one gets it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from resources.alerts import raise_alert
from resources.database import Database
from resources.database.clock import aware
from resources.store.schema import cycle_locks

LOCK_TTL = timedelta(minutes=30)


def acquire(db: Database, slug: str, holder: str, hour: datetime, now: datetime) -> str | None:
    """None when `holder` now holds the tenant's lock, else why not (who holds it since when)."""
    with db.for_tenant(slug) as scope:
        stale = (
            scope.execute(scope.select(cycle_locks).where(cycle_locks.c.expires_at < now))
            .mappings()
            .first()
        )
        if stale is not None:
            scope.execute(sa.delete(cycle_locks).where(cycle_locks.c.id == stale["id"]))
            raise_alert(
                scope,
                "cycle_lock_expired",
                f"cycle_lock_expired:{stale['holder']}"[:300],
                "a cycle lock expired: a cycle got stuck",
                f"run {stale['holder']} took the lock at "
                f"{aware(stale['acquired_at']):%Y-%m-%d %H:%M} UTC for hour "
                f"{aware(stale['cycle_hour']):%Y-%m-%dT%H} and never released it; the lock was "
                "taken over",
                now,
                "error",
            )
        taken = scope.insert(
            cycle_locks,
            {
                "holder": holder,
                "cycle_hour": hour,
                "acquired_at": now,
                "expires_at": now + LOCK_TTL,
            },
            skip_conflicts_on=["tenant_id"],
        )
        if taken:
            return None
        current = scope.execute(scope.select(cycle_locks)).mappings().first()
    if current is not None and current["holder"] == holder:
        return None
    if current is None:
        return "the lock was released while we looked; try again"
    return (
        f"another cycle holds the lock (run {current['holder'][:8]}, since "
        f"{aware(current['acquired_at']):%H:%M} UTC)"
    )


def release(db: Database, slug: str, holder: str) -> None:
    with db.for_tenant(slug) as scope:
        scope.execute(sa.delete(cycle_locks).where(cycle_locks.c.holder == holder))
