"""What becomes of a task after an attempt: completed, waiting, blocked, retried after a
backoff, or failed and escalated to a person. Also the attempts an executor lost in a crash.

A batch's results are written together (`settle_all`): completed tasks and retried attempts,
nearly all of a batch, with one batch move per status (resources/store/tasks.py); the rest one
by one.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from agent.tasks.approach import ApproachDecision
from agent.tasks.outcomes import ESCALATION_PRIORITY, after_failure
from resources.alerts import Alerts
from resources.database import TenantScope
from resources.database.clock import aware
from resources.store import tasks as store
from resources.store.schema import tasks
from services.tasks.handlers import HandlerError, Outcome

ACTOR = "executor"
_pending_unless_answered = sa.case(
    (tasks.c.approval_status == "not_required", "pending"), else_=tasks.c.approval_status
)


def settle_all(
    scope: TenantScope,
    attempts: list[tuple[dict[str, Any], Outcome | BaseException, float]],
    now: datetime,
    dry_run: bool,
    alerts: Alerts,
) -> Counter:
    """Record a batch's results. Completed tasks and failed attempts to be retried (nearly all
    of a batch) are written with one batch move per status; blocked, waiting and escalated
    tasks one by one. Returns what became of the tasks."""
    done: list[store.Move] = []
    retried: list[store.Move] = []
    counts: Counter = Counter()
    for task, outcome, seconds in attempts:
        ms = int(seconds * 1000)
        if isinstance(outcome, Outcome) and outcome.status == "completed":
            made = {"deliverable": outcome.deliverable, "duration_ms": ms}
            done.append(store.Move(task["id"], "in_progress", outcome.detail, made))
            counts["completed"] += 1
            continue
        if isinstance(outcome, Outcome):
            counts[_settle_one(scope, task, outcome, seconds, now, dry_run)] += 1
            continue
        why, decision = _failure(task, outcome, now)
        if decision.retry:
            later = {
                "last_error": why,
                "next_attempt_at": decision.next_attempt_at,
                "duration_ms": ms,
            }
            retried.append(
                store.Move(task["id"], "in_progress", decision.reason, later, (("failed", why),))
            )
            counts["retrying"] += 1
        else:
            _fail_and_escalate(scope, task, why, decision.reason, seconds, now, alerts)
            counts["escalated"] += 1
    store.move_many(
        scope,
        done,
        "completed",
        "completed",
        ACTOR,
        now,
        dry_run=dry_run,
        rows=False,
        last_error=None,
        next_attempt_at=None,
        finished_at=now,
    )
    store.move_many(
        scope,
        retried,
        "queued",
        "retried",
        ACTOR,
        now,
        dry_run=dry_run,
        rows=False,
        deliverable=None,
        finished_at=now,
    )
    return counts


def _failure(task: dict[str, Any], error: BaseException, now: datetime):
    """Why the attempt failed, in one line, and whether to retry it (and when)."""
    why = str(error) if isinstance(error, HandlerError) else f"{type(error).__name__}: {error}"
    return why, after_failure(task["attempts"], task["max_attempts"], now)


def _settle_one(
    scope: TenantScope,
    task: dict[str, Any],
    outcome: Outcome,
    seconds: float,
    now: datetime,
    dry_run: bool,
) -> str:
    """A handler's answer other than done: try again later (not a failure), or blocked. A task
    blocked on its send's approval shows it as pending until the person answers (an answer
    already recorded meanwhile stands)."""
    if outcome.status == "waiting":
        store.move(
            scope,
            task["id"],
            "queued",
            "progress",
            ACTOR,
            now,
            outcome.detail,
            dry_run=dry_run,
            current=task,
            next_attempt_at=outcome.not_before,
            attempts=tasks.c.attempts - 1,
        )
        return "waiting"
    store.move(
        scope,
        task["id"],
        "blocked",
        "blocked",
        ACTOR,
        now,
        outcome.detail,
        dry_run=dry_run,
        current=task,
        last_error=outcome.detail,
        finished_at=now,
        duration_ms=int(seconds * 1000),
        **({"approval_status": _pending_unless_answered} if outcome.awaits else {}),
    )
    return "blocked"


def _fail_and_escalate(
    scope: TenantScope,
    task: dict[str, Any],
    why: str,
    reason: str,
    seconds: float,
    now: datetime,
    alerts: Alerts,
) -> None:
    store.move(
        scope,
        task["id"],
        "failed",
        "failed",
        ACTOR,
        now,
        why,
        current=task,
        last_error=why,
        escalated_at=now,
        finished_at=now,
        duration_ms=int(seconds * 1000),
    )
    escalate(scope, task, why, reason, now, alerts)


def escalate(
    scope: TenantScope, task: dict[str, Any], why: str, reason: str, now: datetime, alerts: Alerts
) -> int:
    """An urgent task for a person and an alert: the work did not get done by itself."""
    title = f"Escalated: {task['title']}"
    person = store.create(
        scope,
        title,
        now,
        description=f"Task {task['id']} failed: {why}\n{reason}",
        kind="human",
        execution_type="manual",
        priority=ESCALATION_PRIORITY,
        requested_by=ACTOR,
        context={"escalated_task": task["id"], "error": why},
        decision=ApproachDecision("blocked", "escalated: a person must look at the failure"),
        idempotency_key=f"escalation:{task['id']}",
    )
    store.log(scope, task["id"], "escalated", ACTOR, f"{reason}; task {person} for a person", now)
    alerts.raise_(
        scope,
        "task_escalated",
        f"task:{task['id']}",
        title[:200],
        f"task {task['id']} ({task['kind']}) failed {task['attempts']} times: {why}",
        now,
        severity="error",
    )
    return person


def reclaim_stuck(scope: TenantScope, now: datetime, timeout_s: float, alerts: Alerts) -> int:
    """A task left in_progress well past its timeout lost its executor (a crash, a killed
    run): the attempt counts as failed, so it is retried or escalated like any failure, its
    duration the time since it started."""
    grace = timedelta(seconds=timeout_s * 2 + 60)
    stuck = scope.execute(
        scope.select(tasks).where(tasks.c.status == "in_progress", tasks.c.started_at < now - grace)
    ).mappings()
    lost = HandlerError("the executor stopped during the attempt")
    attempts = [(dict(r), lost, (now - aware(r["started_at"])).total_seconds()) for r in stuck]
    settle_all(scope, attempts, now, False, alerts)
    return len(attempts)
