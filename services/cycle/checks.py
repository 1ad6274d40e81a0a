"""The figures behind the cycle's asset checks, read per tenant (tenant data has no other door)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from agent.checks import CYCLE_FAILURE_WINDOW
from resources.database import Database
from resources.store.schema import agent_runs, outbox


def outbox_duplicates(db: Database, slug: str) -> int:
    """Rows beyond the first per idempotency key; the unique key makes this 0 unless it is lost."""
    with db.for_tenant(slug) as scope:
        rows = scope.scalar(scope.select(sa.func.count()).select_from(outbox))
        keys = scope.scalar(scope.select(sa.func.count(sa.distinct(outbox.c.idempotency_key))))
    return int(rows) - int(keys)


def failure_rate(db: Database, slugs: list[str], now: datetime) -> tuple[int, int]:
    """(failed cycles, cycles) within the failure-rate window for these tenants."""
    failed = total = 0
    for slug in slugs:
        with db.for_tenant(slug) as scope:
            rows = scope.execute(
                scope.select(agent_runs.c.status, sa.func.count())
                .where(agent_runs.c.cycle_hour >= now - CYCLE_FAILURE_WINDOW)
                .where(agent_runs.c.status.in_(("completed", "failed")))
                .group_by(agent_runs.c.status)
            ).all()
        counts = dict(rows)
        failed += counts.get("failed", 0)
        total += sum(counts.values())
    return failed, total
