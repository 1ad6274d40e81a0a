"""Which tenants a polling job has work for, so its schedule launches one run for those tenants
or skips with a reason instead of launching a run that finds nothing due.

The questions are the jobs' own predicates, asked read-only, in one query per tenant:
- dispatch (services/delivery.py): outbox rows due, claims whose lease ran out, deferred actions
  whose time has come, approvals past their expiry;
- executor (services/tasks/executor.py): runnable tasks, decomposed tasks ready to roll up,
  attempts stuck past their timeout, running strategy executions due a health snapshot.

Rows in `delivery_unknown` are left to the hourly cycle, which dispatches every tenant: counting
them here would launch a run every minute for a row only a person can settle.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from agent.strategy import SNAPSHOT_EVERY
from agent.tasks.outcomes import TIMEOUT_S
from resources.database import Database
from resources.store.schema import (
    actions,
    execution_health_snapshots,
    outbox,
    strategy_executions,
    tasks,
)
from services.dispatch import DEFAULT_LEASE
from services.tasks.executor import runnable


def dispatch_due(db: Database, now: datetime, lease: timedelta = DEFAULT_LEASE) -> list[str]:
    stale = now - lease
    return _tenants_with(
        db,
        [
            sa.select(outbox.c.id).where(
                outbox.c.status == "pending",
                sa.or_(outbox.c.not_before.is_(None), outbox.c.not_before <= now),
            ),
            sa.select(outbox.c.id).where(
                outbox.c.status.in_(("claimed", "sending")), outbox.c.claimed_at < stale
            ),
            sa.select(actions.c.id).where(
                actions.c.status == "deferred",
                sa.or_(actions.c.not_before.is_(None), actions.c.not_before <= now),
            ),
            sa.select(tasks.c.id).where(
                tasks.c.kind == "approval",
                tasks.c.approval_status == "pending",
                tasks.c.approval_expires_at < now,
            ),
        ],
    )


def executor_due(db: Database, now: datetime, timeout_s: float = TIMEOUT_S) -> list[str]:
    sub = tasks.alias("sub")
    subtasks = sa.select(sub.c.id).where(sub.c.parent_id == tasks.c.id)
    snap = execution_health_snapshots
    recent_snapshot = sa.select(snap.c.id).where(
        snap.c.execution_id == strategy_executions.c.id, snap.c.created_at > now - SNAPSHOT_EVERY
    )
    return _tenants_with(
        db,
        [
            runnable(now).limit(1),
            sa.select(tasks.c.id).where(
                tasks.c.approach == "decompose",
                tasks.c.status.in_(("pending", "queued")),
                sa.or_(
                    subtasks.where(sub.c.status == "failed").exists(),
                    sa.and_(
                        subtasks.exists(), ~subtasks.where(sub.c.status != "completed").exists()
                    ),
                ),
            ),
            sa.select(tasks.c.id).where(
                tasks.c.status == "in_progress",
                tasks.c.started_at < now - timedelta(seconds=timeout_s * 2 + 60),
            ),
            sa.select(strategy_executions.c.id).where(
                strategy_executions.c.status == "running", ~recent_snapshot.exists()
            ),
        ],
    )


def _tenants_with(db: Database, queries: list[sa.Select]) -> list[str]:
    """Enabled tenants for which any of `queries` finds a row."""
    probe = sa.select(sa.or_(*(q.exists() for q in queries)))
    enabled = [t.slug for t in db.tenants() if t.agent_enabled]
    return [scope.tenant.slug for scope in db.each_tenant(enabled) if scope.scalar(probe)]
