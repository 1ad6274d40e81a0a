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
from resources.database.bulk import dialect_insert
from resources.store.schema import actions, policy_violations

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


def decided_before(scope: TenantScope, cycle_id: int | None,
                   *where: sa.ColumnElement[bool]) -> frozenset[str]:
    """Keys of the actions matching `where` that the gate holds from outside cycle `cycle_id`
    (an earlier cycle, a task, a person): a rerun of the cycle proposes its own again."""
    query = scope.select(actions.c.idempotency_key).where(*where)
    if cycle_id is not None:
        query = query.where(
            sa.or_(actions.c.agent_run_id.is_(None), actions.c.agent_run_id != cycle_id))
    return frozenset(r[0] for r in scope.execute(query))


def claim_new(
    scope: TenantScope, batch: list[Action], now: datetime, run_id: int | None
) -> set[str]:
    """Take every key of `batch` not yet in the ledger with one insert; returns the keys taken.
    A key already there is for `claim` to look at (due again, or someone else's)."""
    stmt = dialect_insert(scope.conn.dialect.name, actions).on_conflict_do_nothing(
        index_elements=["tenant_id", "idempotency_key"]
    )
    rows = [_claim_row(a, now, run_id) for a in batch]
    taken = scope.execute(stmt.returning(actions.c.idempotency_key), rows)
    return set(taken.scalars())


def claim(
    scope: TenantScope, action: Action, now: datetime, run_id: int | None
) -> GateResult | None:
    """Take the key for this evaluation; the existing decision when someone else holds it."""
    inserted = scope.insert(
        actions, _claim_row(action, now, run_id), skip_conflicts_on=["tenant_id", "idempotency_key"]
    )
    if inserted:
        return None
    return claim_taken(scope, [action], now).get(action.idempotency_key)


def claim_taken(scope: TenantScope, batch: list[Action], now: datetime) -> dict[str, GateResult]:
    """For keys already in the ledger: take back, with one compare-and-set update, those due
    again (a deferral whose time has come; an approved one, when the action says who approved
    it), and return the recorded decision of every other one, by key. An hourly cycle proposes
    the same keys again and again, so this is two statements for the batch, not three a key."""
    if not batch:
        return {}
    keys = [a.idempotency_key for a in batch]
    approved = [a.idempotency_key for a in batch if a.approved_by]
    again = sa.or_(
        sa.and_(
            actions.c.status == "deferred",
            sa.or_(actions.c.not_before.is_(None), actions.c.not_before <= now),
        ),
        sa.and_(actions.c.status == "approved", actions.c.idempotency_key.in_(approved)),
    )
    retaken = set(
        scope.execute(
            sa.update(actions)
            .where(actions.c.idempotency_key.in_(keys), again)
            .values(status="evaluating", evaluations=actions.c.evaluations + 1, updated_at=now)
            .returning(actions.c.idempotency_key)
        ).scalars()
    )
    held = [k for k in keys if k not in retaken]
    if not held:
        return {}
    rows = scope.execute(
        scope.select(actions).where(actions.c.idempotency_key.in_(held))
    ).mappings()
    return {
        row["idempotency_key"]: GateResult(
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
        for row in rows
    }


def _claim_row(action: Action, now: datetime, run_id: int | None) -> dict[str, Any]:
    return {
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
    }


def violation(
    scope: TenantScope,
    kind: str,
    target: str | None,
    key: str,
    decision: Decision,
    run_id: int | None = None,
) -> None:
    violations(scope, [(kind, target, key, decision)], run_id)


def violations(
    scope: TenantScope,
    blocks: list[tuple[str, str | None, str, Decision]],
    run_id: int | None = None,
) -> None:
    """Write the audit rows of blocked actions: (kind, target, key, decision) each."""
    if not blocks:
        return
    scope.insert(
        policy_violations,
        [
            {
                "agent_run_id": run_id,
                "action_kind": kind[:40],
                "target": (target or "")[:500] or None,
                "idempotency_key": key,
                "rule": decision.rule,
                "reason": decision.reason,
                "blocked": True,
            }
            for kind, target, key, decision in blocks
        ],
    )


def settle(
    scope: TenantScope, action: Action, decision: Decision, now: datetime, task_id: int | None
) -> None:
    settle_many(scope, [(action, decision, task_id)], now)


def settle_many(
    scope: TenantScope,
    decided: list[tuple[Action, Decision, int | None]],
    now: datetime,
) -> None:
    """Record each action's decision on its ledger row, in one statement run for every row."""
    if not decided:
        return
    stmt = (
        sa.update(actions)
        .where(actions.c.idempotency_key == sa.bindparam("s_key"))
        .values(
            status=sa.bindparam("s_status"),
            rule=sa.bindparam("s_rule"),
            decision_reason=sa.bindparam("s_reason"),
            not_before=sa.bindparam("s_not_before"),
            task_id=sa.bindparam("s_task_id"),
            decided_at=now,
            updated_at=now,
        )
    )
    scope.execute(
        stmt,
        [
            {
                "s_key": action.idempotency_key,
                "s_status": STATUS[decision.outcome],
                "s_rule": decision.rule,
                "s_reason": decision.reason,
                "s_not_before": decision.not_before,
                "s_task_id": task_id,
            }
            for action, decision, task_id in decided
        ],
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


def mark_approved(scope: TenantScope, key: str, actor: str, now: datetime) -> None:
    """A person approved the action waiting under `key`: `claim` lets the gate take it again."""
    scope.execute(
        sa.update(actions)
        .where(actions.c.idempotency_key == key)
        .values(status="approved", approved_by=actor, updated_at=now)
    )


def mark_rejected(scope: TenantScope, key: str, actor: str, reason: str, now: datetime) -> None:
    """A person rejected the action: it stays rejected, with who and why, and is never sent."""
    scope.execute(
        sa.update(actions)
        .where(actions.c.idempotency_key == key)
        .values(
            status="rejected",
            rule="rejected",
            decision_reason=f"rejected by {actor}: {reason}",
            decided_at=now,
            updated_at=now,
        )
    )


def mark_expired(scope: TenantScope, keys: list[str], now: datetime) -> None:
    """Actions whose approval nobody gave in time: dropped, visibly, in one statement."""
    if not keys:
        return
    scope.execute(
        sa.update(actions)
        .where(actions.c.idempotency_key.in_(keys))
        .values(
            status="expired",
            rule="approval_expired",
            decision_reason="nobody approved it before the approval expired",
            updated_at=now,
        )
    )
