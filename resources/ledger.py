"""The action ledger: one row per idempotency key holding the latest decision and its reason.

Claiming the key is the first thing the gate does for an action, inside the action's savepoint:
an INSERT that skips conflicts takes a new key, and a compare-and-set UPDATE takes back a key
that is due again (a deferral whose time has come, an approved action). Whoever does not get
the key gets the decision already recorded, so the same action is never carried out twice.
Blocks are also written to `policy_violations`, the audit trail of what was refused and why.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pydantic
import sqlalchemy as sa

from agent.actions import Action
from agent.policy import Decision
from agent.validation import problems
from resources.database import TenantScope
from resources.schema import actions, policy_violations

STATUS = {
    "allow": "queued",
    "approval": "awaiting_approval",
    "defer": "deferred",
    "block": "blocked",
}


@dataclass(frozen=True)
class GateResult:
    key: str
    kind: str
    target: str | None
    status: str
    rule: str
    reason: str
    not_before: datetime | None = None
    task_id: int | None = None
    duplicate: bool = False


def claim(
    scope: TenantScope, action: Action, now: datetime, run_id: int | None
) -> GateResult | None:
    """Take the key for this evaluation; the existing decision when someone else holds it."""
    inserted = scope.insert(
        actions,
        {
            "idempotency_key": action.idempotency_key,
            "kind": action.kind,
            "target": action.target,
            "payload": action.payload,
            "reason": action.reason,
            "priority": action.priority,
            "status": "evaluating",
            "rule": "pending",
            "decision_reason": "being evaluated",
            "approved_by": action.approved_by,
            "agent_run_id": run_id,
            "decided_at": now,
        },
        skip_conflicts_on=["tenant_id", "idempotency_key"],
    )
    if inserted:
        return None
    again = [
        sa.and_(
            actions.c.status == "deferred",
            sa.or_(actions.c.not_before.is_(None), actions.c.not_before <= now),
        )
    ]
    if action.approved_by:
        again.append(actions.c.status == "approved")
    retaken = scope.execute(
        sa.update(actions)
        .where(actions.c.idempotency_key == action.idempotency_key, sa.or_(*again))
        .values(status="evaluating", evaluations=actions.c.evaluations + 1, updated_at=now)
    )
    if retaken.rowcount == 1:
        return None
    row = (
        scope.execute(
            scope.select(actions).where(actions.c.idempotency_key == action.idempotency_key)
        )
        .mappings()
        .one()
    )
    return GateResult(
        row["idempotency_key"],
        row["kind"],
        row["target"],
        row["status"],
        row["rule"],
        row["decision_reason"],
        row["not_before"],
        row["task_id"],
        duplicate=True,
    )


def violation(
    scope: TenantScope,
    kind: str,
    target: str | None,
    key: str,
    decision: Decision,
    run_id: int | None = None,
) -> None:
    scope.insert(
        policy_violations,
        {
            "agent_run_id": run_id,
            "action_kind": kind[:40],
            "target": (target or "")[:500] or None,
            "idempotency_key": key,
            "rule": decision.rule,
            "reason": decision.reason,
            "blocked": True,
        },
    )


def settle(
    scope: TenantScope, action: Action, decision: Decision, now: datetime, task_id: int | None
) -> None:
    scope.execute(
        sa.update(actions)
        .where(actions.c.idempotency_key == action.idempotency_key)
        .values(
            status=STATUS[decision.outcome],
            rule=decision.rule,
            decision_reason=decision.reason,
            not_before=decision.not_before,
            task_id=task_id,
            decided_at=now,
            updated_at=now,
        )
    )


def parse(
    scope: TenantScope, item: Action | Mapping[str, Any], now: datetime, run_id: int | None
) -> Action | GateResult:
    """An action that does not even parse is blocked under a key made from its content."""
    if isinstance(item, Action):
        return item
    try:
        return Action.model_validate(item)
    except pydantic.ValidationError as exc:
        raw = repr(sorted((str(k), repr(v)) for k, v in dict(item).items()))
        key = "invalid:" + hashlib.sha256(raw.encode()).hexdigest()[:40]
        kind = str(item.get("kind") or "unknown")[:40]
        target = str(item.get("target") or "")[:500] or None
        reason = f"malformed action: {problems(exc, whole='action')}"
        decision = Decision("block", "invalid_action", reason)
        stand_in = Action(kind=kind, target=target, idempotency_key=key)
        with scope.conn.begin_nested():
            existing = claim(scope, stand_in, now, run_id)
            if existing is not None:
                return existing
            violation(scope, kind, target, key, decision, run_id)
            settle(scope, stand_in, decision, now, None)
        return GateResult(key, kind, target, "blocked", decision.rule, decision.reason)


def record_error(
    scope: TenantScope, action: Action, exc: Exception, now: datetime, run_id: int | None
) -> GateResult:
    reason = f"could not record the decision: {type(exc).__name__}: {str(exc).splitlines()[0]}"
    decision = Decision("block", "gate_error", reason)
    with scope.conn.begin_nested():
        if claim(scope, action, now, run_id) is None:
            settle(scope, action, decision, now, None)
            scope.execute(
                sa.update(actions)
                .where(actions.c.idempotency_key == action.idempotency_key)
                .values(status="error")
            )
    return GateResult(
        action.idempotency_key, action.kind, action.target, "error", decision.rule, reason
    )
