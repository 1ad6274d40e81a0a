"""The one gate every action passes: decide, record why, and carry out the decision once.

For each proposed action the gate first claims its idempotency key in the action ledger
(`actions`), so a rerun, a retry or a concurrent cycle proposing the same action finds the key
taken and does nothing again. It then asks the policy engine, and:

- allow    -> takes a rate-limit slot atomically and queues an outbox row (same key); a full
              bucket turns the decision into a deferral;
- approval -> opens an approval task that expires (see services/approvals.py);
- defer    -> keeps the action with the time it may be tried again (`due_deferred`);
- block    -> writes a policy violation with the rule and the reason.

A batch is first tried whole, in one savepoint with a few set-based statements; if anything in
it fails, it is undone and each action then runs in its own savepoint, so one that fails is
recorded as an error and the others go on. Email is rendered here, before anyone approves it,
so a person approves the exact message and a template with a missing variable is blocked with
the reason instead of failing later.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from agent.actions import EMAIL_KINDS, KINDS, Action
from agent.policy import Decision, PolicyState, address_of, count_waiting, evaluate
from resources.database import Database, TenantScope
from resources.mailer.render import RenderError, render_email
from resources.store import ledger, ratelimit
from resources.store import outbox as box
from resources.store import tasks as task_store
from resources.store.ledger import STATUS, GateResult
from resources.store.policy_state import load_state
from resources.store.schema import actions
from services.killswitch import kill_state

GATE_LOCK = 7301  # advisory lock namespace of the gate (first key of the two-int form)


def submit(
    scope: TenantScope,
    proposed: Iterable[Action | Mapping[str, Any]],
    state: PolicyState,
    now: datetime,
    agent_run_id: int | None = None,
) -> list[GateResult]:
    results: list[GateResult | None] = []
    batch: list[Action] = []
    for item in proposed:
        action = ledger.parse(scope, item, now, agent_run_id)
        results.append(action if isinstance(action, GateResult) else None)
        if isinstance(action, Action):
            batch.append(action)
    decided = iter(
        _batch(scope, batch, state, now, agent_run_id)
        or _each(scope, batch, state, now, agent_run_id)
    )
    return [r if r is not None else next(decided) for r in results]


def _each(
    scope: TenantScope, batch: list[Action], state: PolicyState, now: datetime, run_id: int | None
) -> list[GateResult]:
    """The careful path: each action in its own savepoint, so one that fails is recorded as an
    error and the others go on."""
    results = []
    for action in batch:
        try:
            with scope.conn.begin_nested():
                results.append(_one(scope, action, state, now, run_id))
        except sa.exc.SQLAlchemyError as exc:
            results.append(ledger.record_error(scope, action, exc, now, run_id))
    return results


def _batch(
    scope: TenantScope, batch: list[Action], state: PolicyState, now: datetime, run_id: int | None
) -> list[GateResult] | None:
    """The whole batch in one savepoint and a statement or two per table instead of ~9 round
    trips per action. Rate-limit slots are counted against the usage read with the state and
    taken at the end with one upsert per counter. None, with nothing written and the state as
    it was, when a statement fails or a counter moved meanwhile: `_each` then decides."""
    keys = [a.idempotency_key for a in batch]
    if len(batch) < 2 or len(set(keys)) < len(keys):
        return None
    usage, waiting, last_touch = dict(state.usage), dict(state.waiting), state.last_touch
    try:
        with scope.conn.begin_nested():
            return _decide_batch(scope, batch, state, now, run_id)
    except (sa.exc.SQLAlchemyError, ratelimit.Moved):
        state.usage.clear()
        state.usage.update(usage)
        state.waiting.clear()
        state.waiting.update(waiting)
        state.last_touch = last_touch
        return None


def _decide_batch(
    scope: TenantScope, batch: list[Action], state: PolicyState, now: datetime, run_id: int | None
) -> list[GateResult]:
    fresh = ledger.claim_new(scope, batch, now, run_id)
    held = ledger.claim_taken(scope, [a for a in batch if a.idempotency_key not in fresh], now)
    results: list[GateResult] = []
    settled: list[tuple[Action, Decision, int | None]] = []
    queued: list[dict[str, Any]] = []
    blocks: list[tuple[str, str | None, str, Decision]] = []
    slots: Counter[tuple[str, str]] = Counter()
    for action in batch:
        if action.idempotency_key in held:
            results.append(held[action.idempotency_key])
            continue
        decision, rendered = _decide(scope, action, state, now)
        if decision.outcome == "allow":
            slots.update(_count_slot(action, state, now))
        elif decision.rule == "rate_limit":
            count_waiting(action, state)
        task_id = None
        if decision.outcome == "allow":
            queued.append(_outbox_row(action, decision, rendered, now))
        elif decision.outcome == "approval":
            task_id = _open_approval(scope, action, decision, rendered, now)
        elif decision.outcome == "block":
            blocks.append((action.kind, action.target, action.idempotency_key, decision))
        settled.append((action, decision, task_id))
        results.append(_result(action, decision, task_id))
    ratelimit.reserve_counted(scope, dict(slots), state.settings.caps, now)
    box.queue(scope, queued)
    ledger.violations(scope, blocks, run_id)
    ledger.settle_many(scope, settled, now)
    return results


def propose(
    db: Database,
    slug: str,
    proposed: Iterable[Action | Mapping[str, Any]],
    now: datetime | None = None,
    agent_run_id: int | None = None,
    goals_behind: bool = False,
    retry_deferred: bool = False,
    engagement_violations: int | None = None,
) -> list[GateResult]:
    """Run proposals (and, if asked, deferred actions now due) through the gate for one tenant
    in one transaction. A spike of blocks is the alert rule's business: the passes that put
    actions through the gate check it (services/alerts.py `check_policy_block_spike`)."""
    now = now or datetime.now(UTC)
    proposed = list(proposed)
    with db.for_tenant(slug) as scope:
        _serialize(scope)
        deferred = due_deferred(scope, now) if retry_deferred else []
        state = load_state(
            scope,
            now,
            kill_state(db, scope.tenant),
            goals_behind=goals_behind,
            engagement_violations=engagement_violations,
            addresses=frozenset(_address(a) for a in [*deferred, *proposed]),
        )
        results = submit(scope, deferred, state, now) if deferred else []
        results += submit(scope, proposed, state, now, agent_run_id)
    return results


def _address(action: Action | Mapping[str, Any]) -> str:
    """`address_of` for a proposal that may still be a mapping (validated later, in submit)."""
    target = action.target if isinstance(action, Action) else action.get("target")
    return address_of(target if isinstance(target, str) else None)


def _serialize(scope: TenantScope) -> None:
    """One gate batch per tenant at a time. Batches share the tenant's rate-limit counter rows
    and may propose the same keys; taken in different orders those locks would deadlock, so
    PostgreSQL takes a transaction advisory lock on the tenant first (SQLite has one writer)."""
    if scope.conn.dialect.name == "postgresql":
        scope.execute(
            sa.select(
                sa.func.pg_advisory_xact_lock(GATE_LOCK, sa.cast(scope.tenant_id, sa.Integer))
            )
        )


def due_deferred(scope: TenantScope, now: datetime, limit: int = 1000) -> list[Action]:
    """Deferred actions whose time has come, to go through the gate again, by priority then
    age."""
    rows = scope.execute(
        scope.select(actions)
        .where(actions.c.status == "deferred")
        .where(sa.or_(actions.c.not_before.is_(None), actions.c.not_before <= now))
        .order_by(actions.c.priority.desc(), actions.c.id)
        .limit(limit)
    ).mappings()
    return [stored_action(r) for r in rows]


def stored_action(row: Mapping[str, Any]) -> Action:
    return Action(
        kind=row["kind"],
        target=row["target"],
        payload=row["payload"] or {},
        reason=row["reason"] or "",
        priority=row["priority"],
        idempotency_key=row["idempotency_key"],
        approved_by=row["approved_by"],
    )


def _one(
    scope: TenantScope, action: Action, state: PolicyState, now: datetime, run_id: int | None
) -> GateResult:
    existing = ledger.claim(scope, action, now, run_id)
    if existing is not None:
        return existing
    decision, rendered = _decide(scope, action, state, now)
    if decision.outcome == "allow":
        decision = _take_slot(scope, action, state, now) or decision
    elif decision.rule == "rate_limit":
        count_waiting(action, state)
    task_id = None
    if decision.outcome == "allow":
        box.queue(scope, [_outbox_row(action, decision, rendered, now)])
    elif decision.outcome == "approval":
        task_id = _open_approval(scope, action, decision, rendered, now)
    elif decision.outcome == "block":
        ledger.violation(
            scope, action.kind, action.target, action.idempotency_key, decision, run_id
        )
    ledger.settle(scope, action, decision, now, task_id)
    return _result(action, decision, task_id)


def _decide(
    scope: TenantScope, action: Action, state: PolicyState, now: datetime
) -> tuple[Decision, dict[str, Any] | None]:
    """The policy's decision, and the rendered email for one allowed or waiting for approval."""
    decision = evaluate(action, state, now)
    rendered = None
    if decision.outcome in ("allow", "approval") and action.kind in EMAIL_KINDS:
        try:
            rendered = render_email(scope.tenant, action)
        except RenderError as exc:
            decision = Decision("block", "template_error", str(exc))
    return decision, rendered


def _result(action: Action, decision: Decision, task_id: int | None) -> GateResult:
    return GateResult(
        action.idempotency_key,
        action.kind,
        action.target,
        STATUS[decision.outcome],
        decision.rule,
        decision.reason,
        decision.not_before,
        task_id,
    )


def _take_slot(
    scope: TenantScope, action: Action, state: PolicyState, now: datetime
) -> Decision | None:
    bucket = KINDS[action.kind].bucket
    if bucket is None:
        return None
    refusal = ratelimit.reserve(scope, bucket, state.settings.caps.limits(bucket), now)
    if refusal is not None:
        return Decision(
            "defer",
            "rate_limit",
            f"{bucket} cap of {refusal.cap} per {refusal.window} reached; kept for the next window",
            refusal.retry_at,
        )
    _count_slot(action, state, now)
    return None


def _count_slot(action: Action, state: PolicyState, now: datetime) -> list[tuple[str, str]]:
    """Count an allowed action's slots in the state, so the next action of the batch sees the
    cap and the touch gap; returns the (bucket, window) counters it took."""
    bucket = KINDS[action.kind].bucket
    if bucket is None:
        return []
    taken = [(bucket, window) for window in state.settings.caps.limits(bucket)]
    for counter in taken:
        state.usage[counter] = state.usage.get(counter, 0) + 1
    if action.kind in EMAIL_KINDS and action.target:
        state.last_touch = {**state.last_touch, address_of(action.target): now}
    return taken


def _outbox_row(
    action: Action, decision: Decision, rendered: dict[str, Any] | None, now: datetime
) -> dict[str, Any]:
    return {
        "idempotency_key": action.idempotency_key,
        "kind": action.kind,
        "target": action.target,
        "payload": rendered if rendered is not None else action.payload,
        "reason": action.reason,
        "rule": decision.rule,
        "priority": action.priority,
        "status": "pending",
        "created_at": now,
        "updated_at": now,
    }


def _open_approval(
    scope: TenantScope,
    action: Action,
    decision: Decision,
    rendered: dict[str, Any] | None,
    now: datetime,
) -> int:
    ttl = timedelta(hours=scope.tenant.settings.thresholds.approval_ttl_hours)
    return task_store.open_keyed(
        scope,
        "approval:" + action.idempotency_key,
        now,
        f"waits for approval ({decision.rule}): {decision.reason}",
        title=f"Approve {action.kind} to {action.target or '-'}"[:500],
        description=f"{action.reason}\n\nWhy it waits: {decision.reason}".strip(),
        kind="approval",
        execution_type="manual",
        status="pending",
        priority=action.priority,
        approval_status="pending",
        approval_expires_at=now + ttl,
        requested_by="gate",
        context={"action": action.model_dump(), "rule": decision.rule, "preview": rendered},
    )
