"""Approve, reject or expire the tasks the gate opens for actions that wait for a person.

An approval is recorded on the task (who, when, why) and on the action, and the action goes
through the gate again marked as approved: the approval replaces only the person's part of the
policy (sensitive actions, approval tiers). Suppression, send mode, kill switches, touch gaps,
send windows and rate limits still apply, so an approved mail to an address that bounced since
is still blocked, and an approved mail at night waits for the morning. The task's moves and
the action's ledger row are written by their stores (resources/store/tasks.py and ledger.py).

An action a task proposed (a semi-automated task's send, a one-off email the tiers hold) names
the task in its payload; the answer, and an expiry, is carried to that task, which then
finishes or fails (agent.tasks.approvals.after_send_decision). A person may answer such a send
by the id of the task they asked for as well as by the approval task's id.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agent.actions import Action
from resources.database import Database, TenantScope, UnknownTenantError
from resources.database.clock import aware
from resources.store import ledger
from resources.store import tasks as store
from resources.store.schema import tasks
from services.gate import GateResult, propose

ACTOR = "approvals"
EXPIRED = "approval expired unanswered"


class ApprovalError(ValueError):
    """The task cannot be decided (not an approval, already decided, expired)."""


def decide(
    db: Database,
    slug: str,
    task_id: int,
    decision: str,
    actor: str,
    reason: str = "",
    now: datetime | None = None,
) -> tuple[str, GateResult | None]:
    """Approve or reject any waiting task, as the CLI and the `approval` job do: an action the
    gate holds goes through the gate again (its result is returned), whether it is named by its
    approval task or by the task whose send it is; a task waiting for a yes itself is queued
    for the executor or, rejected, fails with the reason. Returns one line on what became of
    the task, and the gate's result for an approved action."""
    now = now or datetime.now(UTC)
    of = ""
    with db.for_tenant(slug) as scope:
        kind = scope.scalar(scope.select(tasks.c.kind).where(tasks.c.id == task_id))
        if kind is None:
            raise ApprovalError(f"no task {task_id} for tenant {slug}")
        if kind != "approval":
            held = _held_send(scope, task_id)
            if held is None:
                try:
                    task = store.decide(scope, task_id, decision, actor, reason, now)
                except store.TaskError as exc:
                    raise ApprovalError(str(exc)) from None
                verdict = "approved" if decision == "approve" else "rejected"
                return f"task {task_id} {verdict}, now {task['status']}: {task['title']}", None
            task_id, of = held, f" (the send of task {task_id})"
    if decision == "reject":
        reject(db, slug, task_id, actor, reason, now)
        return f"task {task_id} rejected{of}", None
    return f"task {task_id} approved{of}", approve(db, slug, task_id, actor, reason, now)


def _held_send(scope: TenantScope, task_id: int) -> int | None:
    """The approval task holding the send of task `task_id`, while it waits for an answer.
    Approvals are few (they expire), so they are read and matched here rather than by a JSON
    query each database spells differently."""
    waiting = scope.execute(
        scope.select(tasks.c.id, tasks.c.context).where(
            tasks.c.kind == "approval", tasks.c.approval_status == "pending"
        )
    ).all()
    return next(
        (r.id for r in waiting if _action(r.context).payload.get("task_id") == task_id), None
    )


def tenant_of_task(db: Database, task_id: int) -> str:
    """Task ids are unique across tenants; find whose it is, one tenant scope at a time."""
    for tenant in db.tenants():
        with db.for_tenant(tenant.slug) as scope:
            if scope.scalar(scope.select(tasks.c.id).where(tasks.c.id == task_id)) is not None:
                return tenant.slug
    raise UnknownTenantError(f"no task {task_id}")


def approve(
    db: Database, slug: str, task_id: int, actor: str, reason: str = "", now: datetime | None = None
) -> GateResult:
    now = now or datetime.now(UTC)
    with db.for_tenant(slug) as scope:
        action = _decide(scope, task_id, "approved", actor, reason, now)
        ledger.mark_approved(scope, action.idempotency_key, actor, now)
        _answer_proposer(scope, action, "approved", actor, reason, now)
    approved = action.model_copy(update={"approved_by": actor})
    return propose(db, slug, [approved], now)[0]


def reject(
    db: Database, slug: str, task_id: int, actor: str, reason: str, now: datetime | None = None
) -> None:
    if not reason.strip():
        raise ApprovalError("a rejection needs a reason (--reason)")
    now = now or datetime.now(UTC)
    with db.for_tenant(slug) as scope:
        action = _decide(scope, task_id, "rejected", actor, reason, now)
        ledger.mark_rejected(scope, action.idempotency_key, actor, reason, now)
        _answer_proposer(scope, action, "rejected", actor, reason, now)


def expire(db: Database, slug: str, now: datetime | None = None) -> int:
    """Approvals nobody answered in time: the task fails and the action is dropped, visibly,
    and so does the task whose send it was."""
    with db.for_tenant(slug) as scope:
        return expire_in(scope, now or datetime.now(UTC))


def expire_in(scope: TenantScope, now: datetime) -> int:
    """`expire` inside the caller's transaction (the cycle's react phase)."""
    rows = scope.execute(
        scope.select(tasks.c.id, tasks.c.status, tasks.c.context).where(
            tasks.c.kind == "approval",
            tasks.c.approval_status == "pending",
            tasks.c.approval_expires_at < now,
        )
    ).all()
    expired = store.move_many(
        scope,
        [store.Move(row.id, row.status, EXPIRED) for row in rows],
        "failed",
        "failed",
        ACTOR,
        now,
        approval_status="expired",
        last_error=EXPIRED,
    )
    held = [_action(task["context"]) for task in expired]
    ledger.mark_expired(scope, [action.idempotency_key for action in held], now)
    for action in held:
        _answer_proposer(scope, action, "expired", ACTOR, EXPIRED, now)
    return len(expired)


def _decide(
    scope: TenantScope, task_id: int, verdict: str, actor: str, reason: str, now: datetime
) -> Action:
    row = scope.execute(scope.select(tasks).where(tasks.c.id == task_id)).mappings().first()
    if row is None:
        raise ApprovalError(f"no task {task_id} for tenant {scope.tenant.slug}")
    if row["kind"] != "approval":
        raise ApprovalError(f"task {task_id} is not waiting for an approval")
    if row["approval_status"] == "expired":
        raise ApprovalError(f"the approval for task {task_id} expired unanswered")
    if row["approval_status"] != "pending":
        by = f" by {row['decided_by']}" if row["decided_by"] else ""
        raise ApprovalError(f"task {task_id} was already {row['approval_status']}{by}")
    expires = row["approval_expires_at"]
    if expires is not None and aware(expires) < now:
        raise ApprovalError(
            f"the approval for task {task_id} expired at {aware(expires):%Y-%m-%d %H:%M} UTC"
        )
    try:
        store.close_approval(scope, task_id, verdict, actor, reason, now)
    except ValueError as exc:  # decided meanwhile, or paused by a person: the reason says which
        raise ApprovalError(str(exc)) from None
    return _action(row["context"])


def _answer_proposer(
    scope: TenantScope, action: Action, verdict: str, actor: str, reason: str, now: datetime
) -> None:
    """Carry the answer to the task that proposed the action, if a task did."""
    proposer = action.payload.get("task_id")
    if isinstance(proposer, int) and not isinstance(proposer, bool):
        store.answer_send(scope, proposer, verdict, actor, reason, now)


def _action(context: dict[str, Any] | None) -> Action:
    return Action.model_validate((context or {})["action"])
