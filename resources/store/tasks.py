"""Tasks in the database: the one writer of tasks, their dependencies, log and snapshots.

Every status change goes through `move` (one task) or `move_many` (a batch): the machine in
agent/tasks/machine.py says whether it is legal, a compare-and-set on the current status makes
two writers (the executor, a person at the CLI) unable to both win, and each move is written to
the append-only `task_events` log in the same transaction, with who made it and why. Every task
is logged "created", however it was opened. Snapshots keep a record's state before a task
changes it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from agent.tasks.approach import ApproachDecision, choose_approach
from agent.tasks.approvals import after_send_decision, approval_refusal
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
    title), its subtasks created when the approach decomposes it. Returns the task's id.

    No task waits for an approval before it runs: what it sends waits at the gate
    (agent.tasks.approvals.needs_approval), so the approval status starts as not required. A
    task filed without a kind is stored as the kind of work its approach found, if any."""
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
            kind=decision.task_kind(kind)[:40],
            execution_type=execution_type,
            status="blocked" if blocked else "pending",
            priority=priority,
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


def open_keyed(scope: TenantScope, key: str, now: datetime, detail: str, **columns: Any) -> int:
    """A task opened once per idempotency `key` (an approval the gate waits for, a task for a
    person an action asked for): a rerun or a retried delivery finds the first one and logs
    nothing again. Returns the task's id."""
    opened = scope.insert(
        tasks,
        {**columns, "idempotency_key": key, "created_at": now, "updated_at": now},
        skip_conflicts_on=["tenant_id", "idempotency_key"],
    )
    task_id = scope.scalar(scope.select(tasks.c.id).where(tasks.c.idempotency_key == key))
    if opened:
        log(scope, task_id, "created", columns.get("requested_by") or "steward", detail, now)
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


@dataclass(frozen=True)
class Move:
    """One task of a batch move: the status its mover saw (the compare-and-set holds the task
    to it), the detail of its log entry, columns set on this task alone, and entries logged
    just before the move's own (the failed attempt before its retry)."""

    task_id: int
    current: str
    detail: str | None = None
    values: Mapping[str, Any] = field(default_factory=dict)
    before: tuple[tuple[str, str | None], ...] = ()


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
    """Move a task to `new_status` (setting `values` too, SQL expressions allowed) and log
    `event`; returns the row as moved. Raises IllegalTransition when the machine refuses the
    move and TaskError when someone else moved the task first. `current`, when the caller holds
    the row as it is, saves reading it again."""
    status = (current or get(scope, task_id))["status"]
    moved = move_many(
        scope,
        [Move(task_id, status, detail)],
        new_status,
        event,
        actor,
        now,
        data,
        dry_run,
        **values,
    )
    if not moved:
        raise TaskError(f"task {task_id} changed while moving it to {new_status}; try again")
    return moved[0]


def move_many(
    scope: TenantScope,
    moves: Sequence[Move],
    new_status: str,
    event: str,
    actor: str,
    now: datetime,
    data: dict[str, Any] | None = None,
    dry_run: bool = False,
    rows: bool = True,
    **shared: Any,
) -> list[dict[str, Any]]:
    """Move a batch of tasks to `new_status` and log `event` for each; returns the rows moved,
    in the order given (only their ids with `rows=False`, which spares a large batch reading
    every column back). Every move must be legal from the status its mover saw, or nothing is
    written (IllegalTransition); a task someone else moved meanwhile loses the compare-and-set
    and is left as it is, unlogged. `shared` columns (values or SQL expressions) are set on
    every task. Set-based whatever the batch's size: one UPDATE per status seen, one more per
    shape of per-task values, one log insert."""
    for each in moves:
        check_transition(each.current, new_status)
    won: dict[int, dict[str, Any]] = {}
    for current in dict.fromkeys(each.current for each in moves):
        ids = [each.task_id for each in moves if each.current == current]
        found = scope.execute(
            sa.update(tasks)
            .where(tasks.c.id.in_(ids), tasks.c.status == current)
            .values(status=new_status, updated_at=now, **shared)
            .returning(*(tasks.c if rows else [tasks.c.id]))
        ).mappings()
        won.update((row["id"], dict(row)) for row in found)
    moved = [each for each in moves if each.task_id in won]
    shapes: dict[tuple[str, ...], list[Move]] = {}
    for each in moved:
        if each.values:
            shapes.setdefault(tuple(sorted(each.values)), []).append(each)
    for names, group in shapes.items():
        # The rows are this transaction's now (moved above), so they are set by id alone.
        scope.execute(
            sa.update(tasks)
            .where(tasks.c.id == sa.bindparam("m_id"))
            .values({name: sa.bindparam(f"m_{name}") for name in names}),
            [{"m_id": m.task_id, **{f"m_{n}": m.values[n] for n in names}} for m in group],
        )
        for each in group:
            won[each.task_id].update(each.values)
    entries = [(m.task_id, e, d) for m in moved for e, d in (*m.before, (event, m.detail))]
    log_many(scope, entries, actor, now, data, dry_run)
    return [won[each.task_id] for each in moved]


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
    """A person's approval or rejection of a task that waits for one itself, with no send of
    its own held at the gate (services/approvals.py decides those): tasks made before sends
    were approved at the gate. Approved work is queued for the executor; rejected work fails
    with the reason, and nothing of it runs."""
    task = get(scope, task_id)
    refusal = approval_refusal(task["status"], task["approval_status"], verdict)
    if refusal:
        raise TaskError(f"task {task_id}: {refusal}")
    if verdict == "reject" and not reason.strip():
        raise TaskError("a rejection needs a reason (--reason)")
    _claim_decision(
        scope, task_id, "approved" if verdict == "approve" else "rejected", actor, reason
    )
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


def close_approval(
    scope: TenantScope, task_id: int, verdict: str, actor: str, reason: str, now: datetime
) -> None:
    """An approval task of the gate, answered (`verdict`: approved or rejected). The person's
    part is done either way (the action's ledger row carries the verdict), so the task
    completes; the machine completes only work in progress, hence two moves."""
    _claim_decision(scope, task_id, verdict, actor, reason)
    move(scope, task_id, "in_progress", verdict, actor, now, reason or None)
    move(scope, task_id, "completed", "completed", actor, now, f"the action was {verdict}")


def answer_send(
    scope: TenantScope, task_id: int, verdict: str, actor: str, reason: str, now: datetime
) -> None:
    """The person's answer (approved, rejected or expired) to the send a task proposed and the
    gate held, carried to the task: its approval status and who decided, so that its handler,
    run again, proposes the send as approved (a deferral after the approval is not asked again),
    and the move agent.tasks.approvals.after_send_decision says. A task removed meanwhile is
    left alone."""
    task = scope.execute(scope.select(tasks).where(tasks.c.id == task_id)).mappings().first()
    if task is None:
        return
    scope.execute(
        sa.update(tasks)
        .where(tasks.c.id == task_id)
        .values(approval_status=verdict, decided_by=actor[:200], decision_reason=reason or None)
    )
    status, event = after_send_decision(task["status"], verdict)
    detail = (
        "its send's approval expired unanswered"
        if verdict == "expired"
        else f"its send was {verdict}" + (f": {reason}" if reason else "")
    )
    if status is None:
        log(scope, task_id, event, actor, detail, now)
    elif status == "failed":
        move(scope, task_id, status, event, actor, now, detail, current=task, last_error=detail)
    else:  # queued to finish: what blocked it is answered
        move(scope, task_id, status, event, actor, now, detail, current=task, last_error=None)


def _claim_decision(scope: TenantScope, task_id: int, status: str, actor: str, reason: str) -> None:
    """Record the decision on the task, unless someone decided it first (compare-and-set)."""
    claimed = scope.execute(
        sa.update(tasks)
        .where(tasks.c.id == task_id, tasks.c.approval_status == "pending")
        .values(approval_status=status, decided_by=actor[:200], decision_reason=reason or None)
    )
    if claimed.rowcount != 1:
        raise TaskError(f"task {task_id} was decided by someone else just now")


def newest_approval(scope: TenantScope) -> int | None:
    """The id of the tenant's latest "approved" event of work the executor runs (what the
    approvals sensor watches), a task's approved send included (the task then finishes); the
    gate's own approval task leaves the executor nothing to run, so it does not count."""
    return scope.scalar(
        scope.select(sa.func.max(task_events.c.id))
        .select_from(task_events.join(tasks, tasks.c.id == task_events.c.task_id))
        .where(task_events.c.event == "approved", tasks.c.kind != "approval")
    )
