"""The task executor: one pass picks the tasks that may run now and runs them by kind.

A task may run when it is automated (semi-automated ones once a person approved them), pending
or queued, not waiting for a retry, has attempts left, every task it depends on is completed
and, when it belongs to a strategy execution, that execution is running. Tasks are taken by
priority, then age, up to a batch limit per tenant, claimed with a compare-and-set (so two
executors never run one task) and run one at a time, each with a timeout.

What stops a pass: a kill switch (global or the tenant's), a disabled tenant, the global pause
(`steward executor pause`), or `ENABLE_AUTO_EXECUTION=false`. In dry run no handler is called:
the statuses are walked and every event is logged with "[DRY RUN]".

Failures are retried after 1 s, 2 s, 4 s ... with the attempts counted in the database; after
the last attempt the task fails and is escalated: an urgent task for a person and an alert. A
handler that hangs is abandoned at its timeout (Python cannot kill a thread; it runs on as a
daemon and its result is ignored) and the attempt counts as failed.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from agent.tasks import outcomes
from agent.tasks.machine import AUTOMATED_TYPES
from agent.tasks.outcomes import BATCH_LIMIT, TIMEOUT_S
from resources.clients import Clients
from resources.database import Database, TenantScope
from resources.mailer import Mailer
from resources.store import tasks as store
from resources.store.schema import strategy_executions, task_dependencies, tasks
from resources.store.system_config import executor_pause
from services.killswitch import kill_state
from services.strategy import refresh, snapshot_due
from services.tasks.handlers import HandlerError, Outcome, TaskRun, handle, handler_name
from services.tasks.settle import ACTOR, reclaim_stuck, settle_all

AUTO_ENV = "ENABLE_AUTO_EXECUTION"

Handler = Callable[[TaskRun], Outcome]


@dataclass
class PassReport:
    held: str | None = None
    counts: dict[str, Counter] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)

    def lines(self) -> list[str]:
        if self.held:
            return [f"executor held: {self.held}"]
        lines = []
        for slug, counts in self.counts.items():
            done = ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "nothing to run"
            lines.append(f"{slug}: {done}")
        lines += [f"{slug}: failed: {why}" for slug, why in self.failures.items()]
        return lines


def held_reason(db: Database) -> str | None:
    """Why no task may run anywhere now, or None."""
    if os.environ.get(AUTO_ENV, "true").strip().lower() in ("0", "false", "no", "off"):
        return f"{AUTO_ENV} is off"
    kill = kill_state(db)
    if kill.active:
        return kill.describe()
    paused = executor_pause(db)
    if paused:
        return f"executor paused by {paused.get('by') or '?'}: {paused.get('reason') or ''}".strip()
    return None


def run_pass(
    db: Database,
    clients: Clients,
    *,
    tenants: list[str] | None = None,
    limit: int = BATCH_LIMIT,
    dry_run: bool = False,
    timeout_s: float = TIMEOUT_S,
    now: datetime | None = None,
    handler: Handler = handle,
) -> PassReport:
    """One executor pass over `tenants` (default: every enabled tenant). One tenant's failure
    is reported and the others go on."""
    report = PassReport(held=held_reason(db))
    if report.held:
        return report
    for slug in tenants or [t.slug for t in db.tenants() if t.agent_enabled]:
        try:
            report.counts[slug] = run_tenant(
                db,
                clients,
                slug,
                limit=limit,
                dry_run=dry_run,
                timeout_s=timeout_s,
                now=now,
                handler=handler,
            )
        except Exception as exc:  # one tenant's failure must not stop the others
            report.failures[slug] = f"{type(exc).__name__}: {exc}"
    snapshot_due(db, now or datetime.now(UTC))
    return report


def run_tenant(
    db: Database,
    clients: Clients,
    slug: str,
    *,
    limit: int = BATCH_LIMIT,
    dry_run: bool = False,
    timeout_s: float = TIMEOUT_S,
    now: datetime | None = None,
    handler: Handler = handle,
) -> Counter:
    counts: Counter = Counter()
    with db.for_tenant(slug) as scope:
        tenant = scope.tenant
        stop = kill_state(db, tenant)
        if stop.active or not tenant.agent_enabled:
            counts["held"] += 1
            return counts
        start = now or datetime.now(UTC)
        counts["reclaimed"] += reclaim_stuck(scope, start, timeout_s, clients.alerts)
        counts["rolled_up"] += roll_up(scope, start)
        picked = claim(scope, start, limit, dry_run)
    worker = Worker()
    mailer = clients.mailer
    attempts = [
        (task, *_attempt(worker, db, mailer, tenant, task, now, dry_run, timeout_s, handler))
        for task in picked
    ]
    worker.close()
    at = now or datetime.now(UTC)
    with db.for_tenant(slug) as scope:
        counts.update(settle_all(scope, attempts, at, dry_run, clients.alerts))
    executions = {t["strategy_execution_id"] for t in picked if t["strategy_execution_id"]}
    if executions:
        _refresh(db, slug, executions, at)
    return +counts


def runnable(now: datetime) -> sa.Select:
    """Tasks the executor may start now, highest priority then oldest first (scope it with a
    tenant scope's `execute`): automated, approved or needing no approval, attempts left, due,
    not waiting for a subtask or a dependency, and not in a paused strategy execution."""
    dep = tasks.alias("dep")
    unfinished_dependency = (
        sa.select(task_dependencies.c.id)
        .select_from(task_dependencies.join(dep, dep.c.id == task_dependencies.c.depends_on_id))
        .where(task_dependencies.c.task_id == tasks.c.id, dep.c.status != "completed")
        .exists()
    )
    execution_running = (
        sa.select(strategy_executions.c.id)
        .where(
            strategy_executions.c.id == tasks.c.strategy_execution_id,
            strategy_executions.c.status == "running",
        )
        .exists()
    )
    return (
        sa.select(tasks.c.id, tasks.c.status, tasks.c.attempts, tasks.c.max_attempts)
        .where(
            tasks.c.status.in_(("pending", "queued")),
            tasks.c.execution_type.in_(AUTOMATED_TYPES),
            tasks.c.approval_status.in_(("approved", "not_required")),
            tasks.c.attempts < tasks.c.max_attempts,
            sa.or_(tasks.c.next_attempt_at.is_(None), tasks.c.next_attempt_at <= now),
            sa.or_(tasks.c.approach.is_(None), tasks.c.approach != "decompose"),
            ~unfinished_dependency,
            sa.or_(tasks.c.strategy_execution_id.is_(None), execution_running),
        )
        .order_by(tasks.c.priority.desc(), tasks.c.created_at, tasks.c.id)
    )


def claim(scope: TenantScope, now: datetime, limit: int, dry_run: bool) -> list[dict[str, Any]]:
    """Take up to `limit` runnable tasks, highest priority then oldest first; a task another
    executor took first is skipped. The batch's results are recorded together after it ran: a
    crash in between leaves its tasks in_progress, and `reclaim_stuck` counts those attempts as
    failed (handlers are idempotent: gate keys per task, files named by task)."""
    runnable_now = runnable(now).limit(limit)
    ready = scope.execute(runnable_now).all()
    return store.move_many(
        scope,
        [
            store.Move(t.id, t.status, f"attempt {t.attempts + 1} of {t.max_attempts}")
            for t in ready
        ],
        "in_progress",
        "started",
        ACTOR,
        now,
        dry_run=dry_run,
        attempts=tasks.c.attempts + 1,
        started_at=now,
    )


class Worker:
    """One daemon thread that runs handlers, so a task's timeout can be enforced without a
    thread per task. A handler that hangs keeps its thread (Python cannot stop it; being a
    daemon, it does not hold up the process's exit) and a new thread takes the next task."""

    def __init__(self) -> None:
        self._start()

    def _start(self) -> None:
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        threading.Thread(target=self._loop, args=(self._jobs,), daemon=True).start()

    @staticmethod
    def _loop(jobs: queue.SimpleQueue) -> None:
        while (job := jobs.get()) is not None:
            fn, result, done = job
            try:
                result.append(fn())
            except BaseException as exc:  # the handler's failure, reported as the attempt's
                result.append(exc)
            done.set()

    def run(self, fn: Callable[[], Outcome], timeout_s: float) -> Outcome | BaseException:
        result: list[Outcome | BaseException] = []
        done = threading.Event()
        self._jobs.put((fn, result, done))
        if not done.wait(timeout_s):
            self._start()
            return HandlerError(f"handler timed out after {timeout_s:g} s")
        return result[0]

    def close(self) -> None:
        self._jobs.put(None)


def _attempt(
    worker: Worker,
    db: Database,
    mailer: Mailer,
    tenant: Any,
    task: dict[str, Any],
    now: datetime | None,
    dry_run: bool,
    timeout_s: float,
    handler: Handler,
) -> tuple[Outcome | BaseException, float]:
    """Run the task's handler with its timeout; the outcome or the failure, and the time."""
    if dry_run:
        return Outcome("completed", f"would run {handler_name(task['kind'])}"), 0.0
    slug = tenant.slug

    def keep(entity_type: str, entity_id: str, data: dict[str, Any]) -> None:
        with db.for_tenant(slug) as scope:
            store.snapshot(
                scope, task["id"], entity_type, entity_id, data, now or datetime.now(UTC)
            )

    run = TaskRun(db, mailer, tenant, task, now or datetime.now(UTC), keep)
    started = time.monotonic()
    outcome = worker.run(lambda: handler(run), task["timeout_s"] or timeout_s)
    return outcome, time.monotonic() - started


def roll_up(scope: TenantScope, now: datetime) -> int:
    """Decomposed tasks that their subtasks finished, moved as agent.tasks.outcomes.roll_up
    says (the machine completes only work in progress, so a completed one starts first)."""
    parents = dict(
        scope.execute(
            scope.select(tasks.c.id, tasks.c.status).where(
                tasks.c.approach == "decompose", tasks.c.status.in_(("pending", "queued"))
            )
        ).all()
    )
    if not parents:
        return 0
    subtasks: dict[int, list[tuple[int, str, str | None]]] = {p: [] for p in parents}
    for row in scope.execute(
        scope.select(tasks.c.parent_id, tasks.c.id, tasks.c.status, tasks.c.deliverable)
        .where(tasks.c.parent_id.in_(list(parents)))
        .order_by(tasks.c.id)
    ):
        subtasks[row.parent_id].append((row.id, row.status, row.deliverable))
    moved = 0
    for parent_id, status in parents.items():
        verdict = outcomes.roll_up(subtasks[parent_id])
        if verdict is None:
            continue
        current = {"status": status}
        if verdict.status == "blocked":
            store.move(
                scope,
                parent_id,
                "blocked",
                "blocked",
                ACTOR,
                now,
                verdict.reason,
                current=current,
                last_error=verdict.reason,
            )
        else:
            current = store.move(
                scope,
                parent_id,
                "in_progress",
                "started",
                ACTOR,
                now,
                "subtasks done",
                current=current,
                started_at=now,
            )
            store.move(
                scope,
                parent_id,
                "completed",
                "completed",
                ACTOR,
                now,
                verdict.reason,
                current=current,
                deliverable=verdict.deliverable,
                finished_at=now,
            )
        moved += 1
    return moved


def _refresh(db: Database, slug: str, executions: set[int], now: datetime) -> None:
    with db.for_tenant(slug) as scope:
        for execution_id in sorted(executions):
            refresh(scope, execution_id, now)
