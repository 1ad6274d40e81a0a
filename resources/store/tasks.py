"""Tasks in the database: creation with its approach, status moves with their log.

Every status change goes through `move`: the machine in agent/tasks.py says whether it is legal,
a compare-and-set on the current status makes two writers (the executor, a person at the CLI)
unable to both win, and the move is written to the append-only `task_events` log in the same
transaction, with who made it and why. Snapshots keep a record's state before a task changes it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from agent.tasks.approach import ApproachDecision, choose_approach
from agent.tasks.approvals import approval_refusal, needs_approval
from agent.tasks.machine import EXECUTION_TYPES, check_transition
from resources.database import TenantScope
from resources.store.schema import task_dependencies, task_events, task_snapshots, tasks

DRY_RUN = "[DRY RUN] "


class TaskError(ValueError):
    """A request about a task that cannot be done, with the reason."""


def create(
    scope: TenantScope,
    title: str,
    now: datetime,
    *,
    description: str | None = None,
    kind: str = "general",
    execution_type: str = "manual",
    priority: int = 50,
    requested_by: str = "cli",
    context: dict[str, Any] | None = None,
    parent_id: int | None = None,
    depends_on: Iterable[int] = (),
    decision: ApproachDecision | None = None,
    handled_kinds: frozenset[str] = frozenset(),
    **columns: Any,
) -> int:
    """A new task, its approach decided and explained (`decision`, or chosen here from the
    title), its subtasks created when the approach decomposes it. Returns the task's id."""
    title = " ".join(title.split())
    if not title:
        raise TaskError("a task needs a title")
    if execution_type not in EXECUTION_TYPES:
        raise TaskError(
            f"unknown execution type {execution_type!r}; use one of {', '.join(EXECUTION_TYPES)}"
        )
    depends_on = list(dict.fromkeys(depends_on))
    _check_exist(scope, depends_on, "depends on")
    if parent_id is not None:
        _check_exist(scope, [parent_id], "has parent")
    decision = decision or choose_approach(title, description, kind, handled_kinds)
    blocked = decision.mode == "blocked"
    task_id = scope.execute(
        sa.insert(tasks)
        .values(
            title=title[:500],
            description=description,
            kind=kind[:40],
            execution_type=execution_type,
            status="blocked" if blocked else "pending",
            priority=priority,
            approval_status="pending" if needs_approval(execution_type) else "not_required",
            requested_by=requested_by[:200],
            context=context,
            parent_id=parent_id,
            approach=decision.mode,
            approach_reason=decision.reason,
            last_error=decision.reason if blocked else None,
            created_at=now,
            updated_at=now,
            **columns,
        )
        .returning(tasks.c.id)
    ).scalar_one()
    depend(scope, task_id, depends_on)
    log(scope, task_id, "created", requested_by, f"{decision.mode}: {decision.reason}", now)
    if blocked:
        log(scope, task_id, "blocked", "executor", decision.reason, now)
    subtask_ids: list[int] = []
    for spec in decision.subtasks:
        subtask_ids.append(
            create(
                scope,
                spec.title,
                now,
                kind=spec.kind,
                execution_type=spec.execution_type,
                priority=priority,
                requested_by=requested_by,
                parent_id=task_id,
                depends_on=[subtask_ids[i] for i in spec.depends_on],
                decision=ApproachDecision(
                    "immediate", f"step {len(subtask_ids) + 1} of the parent's playbook"
                ),
            )
        )
    return task_id


def depend(scope: TenantScope, task_id: int, depends_on: Iterable[int]) -> None:
    rows = [{"task_id": task_id, "depends_on_id": d} for d in depends_on]
    if rows:
        scope.insert(task_dependencies, rows)


def _check_exist(scope: TenantScope, ids: list[int], relation: str) -> None:
    if not ids:
        return
    found = set(scope.execute(scope.select(tasks.c.id).where(tasks.c.id.in_(ids))).scalars())
    missing = [i for i in ids if i not in found]
    if missing:
        names = ", ".join(str(i) for i in missing)
        raise TaskError(f"the new task {relation} task(s) {names}, which do not exist")


def get(scope: TenantScope, task_id: int) -> dict[str, Any]:
    row = scope.execute(scope.select(tasks).where(tasks.c.id == task_id)).mappings().first()
    if row is None:
        raise TaskError(f"no task {task_id} for tenant {scope.tenant.slug}")
    return dict(row)


def move(
    scope: TenantScope,
    task_id: int,
    new_status: str,
    event: str,
    actor: str,
    now: datetime,
    detail: str | None = None,
    data: dict[str, Any] | None = None,
    dry_run: bool = False,
    current: dict[str, Any] | None = None,
    **values: Any,
) -> dict[str, Any]:
    """Move a task to `new_status` (setting `values` too) and log `event`; raises TaskError
    when the move is illegal or someone else moved the task first. `current`, when the caller
    holds the row as it is, saves reading it again."""
    current = current or get(scope, task_id)
    check_transition(current["status"], new_status)
    done = scope.execute(
        sa.update(tasks)
        .where(tasks.c.id == task_id, tasks.c.status == current["status"])
        .values(status=new_status, updated_at=now, **values)
    )
    if done.rowcount != 1:
        raise TaskError(f"task {task_id} changed while moving it to {new_status}; try again")
    log(scope, task_id, event, actor, detail, now, data, dry_run)
    return {**current, **values, "status": new_status}


def log(
    scope: TenantScope,
    task_id: int,
    event: str,
    actor: str,
    detail: str | None,
    now: datetime,
    data: dict[str, Any] | None = None,
    dry_run: bool = False,
) -> None:
    log_many(scope, [(task_id, event, detail)], actor, now, data, dry_run)


def log_many(
    scope: TenantScope,
    entries: list[tuple[int, str, str | None]],
    actor: str,
    now: datetime,
    data: dict[str, Any] | None = None,
    dry_run: bool = False,
) -> None:
    """Append (task id, event, detail) entries to the log in one statement."""
    if not entries:
        return
    scope.insert(
        task_events,
        [
            {
                "task_id": task_id,
                "event": event,
                "actor": actor[:200],
                "detail": (DRY_RUN + (detail or "")).strip() if dry_run else detail,
                "data": data,
                "dry_run": dry_run,
                "created_at": now,
            }
            for task_id, event, detail in entries
        ],
    )


def snapshot(
    scope: TenantScope,
    task_id: int,
    entity_type: str,
    entity_id: str,
    data: dict[str, Any],
    now: datetime,
) -> None:
    """The record as it was before the task changed it: what a person needs to see or undo."""
    scope.insert(
        task_snapshots,
        {
            "task_id": task_id,
            "entity_type": entity_type[:40],
            "entity_id": str(entity_id)[:100],
            "data": data,
            "created_at": now,
        },
    )
    log(scope, task_id, "snapshot", "executor", f"{entity_type} {entity_id} saved", now)


def events(scope: TenantScope, task_id: int) -> list[dict[str, Any]]:
    query = scope.select(task_events).where(task_events.c.task_id == task_id)
    return [dict(r) for r in scope.execute(query.order_by(task_events.c.id)).mappings()]


def decide(
    scope: TenantScope, task_id: int, verdict: str, actor: str, reason: str, now: datetime
) -> dict[str, Any]:
    """A person's approval or rejection of a task that waits for one. Approved work is queued
    for the executor; rejected work fails with the reason, and nothing of it runs."""
    task = get(scope, task_id)
    refusal = approval_refusal(task["status"], task["approval_status"], verdict)
    if refusal:
        raise TaskError(f"task {task_id}: {refusal}")
    if verdict == "reject" and not reason.strip():
        raise TaskError("a rejection needs a reason (--reason)")
    status = "approved" if verdict == "approve" else "rejected"
    claimed = scope.execute(
        sa.update(tasks)
        .where(tasks.c.id == task_id, tasks.c.approval_status == "pending")
        .values(approval_status=status, decided_by=actor[:200], decision_reason=reason or None)
    )
    if claimed.rowcount != 1:
        raise TaskError(f"task {task_id} was decided by someone else just now")
    if verdict == "reject":
        return move(
            scope,
            task_id,
            "failed",
            "rejected",
            actor,
            now,
            reason,
            last_error=f"rejected: {reason}",
        )
    if task["status"] == "pending":
        return move(scope, task_id, "queued", "approved", actor, now, reason or None)
    log(scope, task_id, "approved", actor, reason or None, now)
    return get(scope, task_id)
