"""Where a tenant's campaigns stand, for the `broadcasts` asset and its bounce-rate check: the
live ones (approved, running, paused) and those that ended within the last two weeks, whose
late bounces and replies still count."""

from __future__ import annotations

from datetime import datetime, timedelta

from agent.broadcast import BOUNCE_WARN_PCT, MIN_SAMPLE
from resources.database import TenantScope
from resources.database.clock import aware
from resources.store import broadcasts as store
from services.broadcasts.campaigns import Progress

RECENT = timedelta(days=14)


def tenant_campaigns(scope: TenantScope, now: datetime) -> list[Progress]:
    found = []
    for row in store.listing(scope):
        if row["status"] == "draft":
            continue
        if row["ended_at"] is not None and now - aware(row["ended_at"]) > RECENT:
            continue
        found.append(Progress(row, store.stats(scope, row["id"])))
    return found


def bouncing(progress: Progress) -> bool:
    """Above the providers' warning level, once enough has gone out to judge."""
    return progress.stats.sent >= MIN_SAMPLE and progress.stats.bounce_pct > BOUNCE_WARN_PCT
