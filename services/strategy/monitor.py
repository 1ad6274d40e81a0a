"""How an execution is doing: its metrics and health, its end, and periodic health snapshots.

`refresh` reads everything from the task rows and the task log instead of counting as things
happen, so a missed call only leaves the figures stale until the next one. The executor calls
it after each pass that touched an execution's tasks, and the commands call it too.

An execution ends by itself when its tasks say so:
- completed when every task completed;
- failed when a task failed for good (its last attempt, or a person rejected it), nothing is in
  progress and every task not finished depends, directly or not, on a failed one: nothing can
  run any more. Those waiting tasks fail with "execution failed" so none stays pending forever;
  a person fixes the cause and starts the strategy again. While work independent of the
  failure can still run (or waits for a person), the execution goes on.
A paused execution ends the same way: a pause holds work back, but finished work is finished.
A cancelled or ended execution keeps its status; its figures still follow tasks left to finish.

Attempts, errors and retries are counted in the task log: the executor logs "started" for each
attempt, "failed" for each that failed and "retried" when it tries again. A task's `attempts`
column would undercount, since a person's retry starts it again from zero. Tasks the execution
failed as it ended never ran: they count as skipped, neither as failed work nor as errors, so a
cancel does not make the work look worse than it was.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from agent.strategy import SNAPSHOT_EVERY, health
from resources.database import Database, TenantScope
from resources.database.clock import aware
from resources.store import tasks as store
from resources.store.schema import (
    execution_health_snapshots,
    strategy_executions,
    task_dependencies,
    task_events,
    tasks,
)
from resources.store.strategies import LIVE, execution, record, save_figures, snapshot_health

CANCELLED = "execution cancelled"
ABANDONED = "execution failed"
ENDED = (CANCELLED, ABANDONED)  # task failures that are the execution's, not the work's
ACTOR = "strategy"
WAITING = ("pending", "queued", "paused")
FINISHED = ("completed", "failed")


def refresh(scope: TenantScope, execution_id: int, now: datetime) -> dict[str, Any]:
    """Recompute and store the execution's metrics and health, end it when its tasks say so,
    and tell a change of health band as a "health-update" event. Returns the execution."""
    current = execution(scope, execution_id, lock=True)
    rows = _tasks(scope, execution_id)
    ending = _ending(scope, rows) if current["status"] in LIVE else None
    failed = [r["plan_key"] for r in rows if r["status"] == "failed"]
    if ending == "failed":
        _abandon(scope, rows, now)
    metrics = _metrics(scope, execution_id, rows)
    verdict = health(
        metrics["completed"],
        metrics["failed"],
        metrics["total"],
        metrics["attempts"],
        metrics["errors"],
        [r["duration_ms"] / 1000 for r in rows if r["duration_ms"] is not None],
    )
    values: dict[str, Any] = {"metrics": metrics, "health": asdict(verdict), "updated_at": now}
    if ending:
        values.update(status=ending, finished_at=now)
    save_figures(scope, execution_id, **values)
    if ending == "completed":
        record(scope, execution_id, "completed", ACTOR, now, f"all {len(rows)} tasks completed")
    elif ending == "failed":
        waiting = len(rows) - metrics["completed"] - len(failed)
        detail = f"{', '.join(failed)} failed; {waiting} waiting task(s) could never run"
        record(scope, execution_id, "failed", ACTOR, now, detail, {"failed": failed})
    before = (current["health"] or {}).get("status")
    if before is not None and before != verdict.status:
        detail = f"{before} → {verdict.status} (score {verdict.score})"
        record(scope, execution_id, "health-update", ACTOR, now, detail, asdict(verdict))
    return {**current, **values}


def snapshot_due(db: Database, now: datetime, every: timedelta = SNAPSHOT_EVERY) -> int:
    """For each tenant, a health snapshot of every running execution whose last one is older
    than `every` (refreshed first, so it shows the present); returns how many were written."""
    written = 0
    for tenant in db.tenants():
        with db.for_tenant(tenant.slug) as scope:
            written += _snapshot_tenant(scope, now, every)
    return written


def _snapshot_tenant(scope: TenantScope, now: datetime, every: timedelta) -> int:
    running = list(
        scope.execute(
            scope.select(strategy_executions.c.id).where(strategy_executions.c.status == "running")
        ).scalars()
    )
    if not running:
        return 0
    snap = execution_health_snapshots
    last = dict(
        scope.execute(
            scope.select(snap.c.execution_id, sa.func.max(snap.c.created_at))
            .where(snap.c.execution_id.in_(running))
            .group_by(snap.c.execution_id)
        ).all()
    )
    written = 0
    for execution_id in running:
        if execution_id in last and aware(last[execution_id]) > now - every:
            continue
        snapshot_health(scope, execution_id, refresh(scope, execution_id, now), now)
        written += 1
    return written


def _tasks(scope: TenantScope, execution_id: int) -> list[dict[str, Any]]:
    """The execution's tasks in the order they were created, which is their topological order."""
    query = (
        scope.select(
            tasks.c.id,
            tasks.c.plan_key,
            tasks.c.kind,
            tasks.c.status,
            tasks.c.duration_ms,
            tasks.c.last_error,
        )
        .where(tasks.c.strategy_execution_id == execution_id)
        .order_by(tasks.c.id)
    )
    return [dict(r) for r in scope.execute(query).mappings()]


def _ending(scope: TenantScope, rows: list[dict[str, Any]]) -> str | None:
    if rows and all(r["status"] == "completed" for r in rows):
        return "completed"
    doomed = {r["id"] for r in rows if r["status"] == "failed"}
    if not doomed or any(r["status"] == "in_progress" for r in rows):
        return None
    deps: dict[int, list[int]] = {}
    for task_id, depends_on in scope.execute(
        scope.select(task_dependencies.c.task_id, task_dependencies.c.depends_on_id).where(
            task_dependencies.c.task_id.in_([r["id"] for r in rows])
        )
    ):
        deps.setdefault(task_id, []).append(depends_on)
    for row in rows:  # dependencies come first in id order, so one pass sees them all
        if any(d in doomed for d in deps.get(row["id"], ())):
            doomed.add(row["id"])
    unfinished = {r["id"] for r in rows if r["status"] not in FINISHED}
    return "failed" if unfinished <= doomed else None


def _abandon(scope: TenantScope, rows: list[dict[str, Any]], now: datetime) -> None:
    """Fail the waiting tasks of an execution that failed: none of them can ever run. A task
    the executor took meanwhile keeps its status, and the figures count it as it is."""
    moves = [
        store.Move(r["id"], r["status"], ABANDONED) for r in rows if r["status"] not in FINISHED
    ]
    moved = store.move_many(scope, moves, "failed", "failed", ACTOR, now, last_error=ABANDONED)
    failed = {task["id"] for task in moved}
    for row in rows:
        if row["id"] in failed:
            row.update(status="failed", last_error=ABANDONED)


def _metrics(scope: TenantScope, execution_id: int, rows: list[dict[str, Any]]) -> dict[str, Any]:
    status = [r["status"] for r in rows]
    skipped = sum(1 for r in rows if r["status"] == "failed" and r["last_error"] in ENDED)
    counted = dict(
        scope.execute(
            scope.select(task_events.c.event, sa.func.count())
            .where(
                task_events.c.task_id.in_(
                    scope.select(tasks.c.id).where(tasks.c.strategy_execution_id == execution_id)
                ),
                task_events.c.event.in_(("started", "retried", "failed")),
                sa.not_(
                    sa.and_(
                        task_events.c.event == "failed",
                        sa.func.coalesce(task_events.c.detail, "").in_(ENDED),
                    )
                ),
            )
            .group_by(task_events.c.event)
        ).all()
    )
    return {
        "total": len(rows),
        "completed": status.count("completed"),
        "failed": status.count("failed") - skipped,
        "skipped": skipped,
        "in_progress": status.count("in_progress"),
        "pending": sum(status.count(s) for s in WAITING),
        "blocked": status.count("blocked"),
        "attempts": counted.get("started", 0),
        "retries": counted.get("retried", 0),
        "errors": counted.get("failed", 0),
        "durations_ms": _durations(rows),
    }


def _durations(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per agent kind: how many tasks have a duration, their mean and their longest (ms)."""
    by_kind: dict[str, list[int]] = {}
    for row in rows:
        timed = by_kind.setdefault(row["kind"], [])
        if row["duration_ms"] is not None:
            timed.append(row["duration_ms"])
    return {
        kind: {
            "count": len(ms),
            "mean": round(sum(ms) / len(ms), 1) if ms else None,
            "max": max(ms) if ms else None,
        }
        for kind, ms in by_kind.items()
    }
