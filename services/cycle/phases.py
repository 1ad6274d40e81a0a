"""The four phases of one tenant's cycle. Each reads and writes the database only; the Dagster
assets in assets/cycle.py call them for every tenant of their partition range.

- plan:    checks the switches and takes the tenant's lock, opens (or, on a rerun, reopens) the
           hour's cycle record, gathers state and stores the proposed actions with it;
- act:     puts the plan through the gate (never a side door) and dispatches what it queued; a
           replay of a past hour only evaluates the policy and records what would have happened;
- react:   reads the outcomes since the last cycle (deliveries, failures, replies, new
           suppressions) and expires unanswered approvals;
- reflect: (services/cycle/reflect.py) writes the reflection, closes the record, unlocks.

A phase returns an `Outcome` (status and one line); a later phase skips a tenant whose cycle this
run does not own (skipped, failed, or held by another run).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from agent import reflection
from agent.actions import Action
from agent.planner import plan
from agent.policy import evaluate
from agent.reflection import delivery_outcomes
from resources.alerts import Alerts
from resources.clients import Clients
from resources.database import Database, TenantScope
from resources.database.clock import aware
from resources.store import cycle_lock as lock
from resources.store import cycle_runs as runs
from resources.store.ledger import STATUS
from resources.store.policy_state import load_state
from resources.store.schema import cadence_pauses, messages, outbox, suppressions
from services import approvals
from services.alerts import check_policy_block_spike
from services.broadcasts.alerts import alert_paused_campaigns
from services.cases import alert_new_cases
from services.cycle.gather import gather
from services.dispatch import dispatch_tenant
from services.gate import propose
from services.killswitch import kill_state
from services.outcome import Outcome

DECISIONS_KEPT = 200


@dataclass(frozen=True)
class Cycle:
    db: Database
    slug: str
    hour: datetime
    run_id: str
    now: datetime
    replay: bool
    alerts: Alerts


def plan_phase(c: Cycle) -> Outcome:
    with c.db.for_tenant(c.slug) as scope:
        tenant = scope.tenant
    stop = kill_state(c.db, tenant)
    if stop.active:
        _record_skip(c, stop.describe())
        return Outcome("skipped", stop.describe())
    busy, stale = lock.acquire(c.db, c.slug, c.run_id, c.hour, c.now)
    if stale is not None:
        _report_stuck(c, stale)
    if busy:
        return Outcome("skipped", busy)
    with c.db.for_tenant(c.slug) as scope:
        record = runs.start(scope, c.hour, c.run_id, c.now)
        before = runs.previous(scope, c.hour)
        since = before["started_at"] if before else None
        gathered = gather(
            scope, c.hour, c.now, since, validate_orders=not c.replay, cycle_id=record["id"]
        )
        actions = plan(gathered.inputs)
        figures = {**gathered.summary(), "planned": len(actions)}
        runs.update(
            scope,
            record["id"],
            plan={"actions": [a.model_dump() for a in actions], "gathered": figures},
            actions_planned=len(actions),
            metrics=figures,
            phase="act",
        )
    return Outcome("done", f"planned {len(actions)}", figures)


def _report_stuck(c: Cycle, stale: dict[str, Any]) -> None:
    with c.db.for_tenant(c.slug) as scope:
        c.alerts.raise_(
            scope,
            "cycle_lock_expired",
            f"cycle_lock_expired:{stale['holder']}"[:300],
            "a cycle lock expired: a cycle got stuck",
            f"run {stale['holder']} took the lock at "
            f"{aware(stale['acquired_at']):%Y-%m-%d %H:%M} UTC for hour "
            f"{aware(stale['cycle_hour']):%Y-%m-%dT%H} and never released it; the lock was "
            "taken over",
            c.now,
            "error",
        )


def act_phase(c: Cycle, clients: Clients) -> Outcome:
    record = owned(c)
    if record is None:
        return Outcome("skipped", "no cycle of this run to act on")
    actions = [Action.model_validate(a) for a in record["plan"]["actions"]]
    gathered = record["plan"]["gathered"]
    if c.replay:
        decisions, counts = _replay(c, actions, gathered)
    else:
        results = propose(
            c.db,
            c.slug,
            actions,
            c.now,
            agent_run_id=record["id"],
            goals_behind=gathered["goals_behind"],
            retry_deferred=True,
            engagement_violations=gathered["overdue"],
        )
        decisions = [
            {
                "key": r.key,
                "kind": r.kind,
                "target": r.target,
                "status": r.status,
                "rule": r.rule,
                "reason": r.reason,
                "repeated": r.duplicate,
            }
            for r in results
        ]
        counts = Counter("repeated" if r.duplicate else r.status for r in results)
        report = dispatch_tenant(c.db, clients, c.slug, c.now)
        counts.update({f"dispatch_{k}": v for k, v in report.counts.items()})
    figures = {
        "queued": counts.get("queued", 0),
        "deferred": counts.get("deferred", 0),
        "blocked": counts.get("blocked", 0),
        "awaiting_approval": counts.get("awaiting_approval", 0),
        "repeated": counts.get("repeated", 0),
        **{k: v for k, v in counts.items() if k.startswith("dispatch_")},
    }
    with c.db.for_tenant(c.slug) as scope:
        if not c.replay:  # the blocks this hour (and any other source) may be a spike
            check_policy_block_spike(scope, c.alerts, c.now)
            alert_new_cases(scope, c.alerts, c.now)  # service-recovery cases the plan opened
            if gathered.get("cadence_broadcasts_paused"):  # the plan paused a campaign
                alert_paused_campaigns(scope, c.alerts, c.now)
        runs.update(
            scope,
            record["id"],
            actions_executed=figures["queued"],
            actions_deferred=figures["deferred"],
            actions_blocked=figures["blocked"],
            actions_awaiting_approval=figures["awaiting_approval"],
            metrics={
                **record["metrics"],
                **figures,
                "decisions": decisions[:DECISIONS_KEPT],
                "replay": c.replay,
            },
            phase="react",
        )
    mode = "replay, nothing recorded or sent: " if c.replay else ""
    return Outcome(
        "done", mode + reflection.summary({**figures, "planned": len(actions)}, {}), figures
    )


def react_phase(c: Cycle) -> Outcome:
    with c.db.for_tenant(c.slug) as scope:
        record = held(scope, c)
        if record is None:
            return Outcome("skipped", "no cycle of this run to react to")
        expired = 0 if c.replay else approvals.expire_in(scope, c.now)
        before = runs.previous(scope, c.hour)
        since = before["started_at"] if before else record["started_at"]
        outcomes = delivery_outcomes(
            scope.execute(
                scope.select(outbox.c.status, outbox.c.provider, sa.func.count())
                .where(outbox.c.updated_at >= since)
                .group_by(outbox.c.status, outbox.c.provider)
            ).all()
        )
        figures = {
            **outcomes,
            "new_suppressions": _count_since(scope, suppressions, suppressions.c.created_at, since),
            "replies": _count_since(scope, cadence_pauses, cadence_pauses.c.paused_at, since),
            "inbound": _count_since(scope, messages, messages.c.created_at, since),
            "approvals_expired": expired,
        }
        runs.update(scope, record["id"], metrics={**record["metrics"], **figures}, phase="reflect")
    line = f"sent {figures['sent']}, filed {figures['filed']}, replies {figures['replies']}"
    return Outcome("done", line, figures)


def fail(c: Cycle, phase: str, message: str) -> None:
    """Record a phase's failure on the tenant's cycle and free the tenant for the next one."""
    with c.db.for_tenant(c.slug) as scope:
        record = runs.get(scope, c.hour)
        if record is not None and record["dagster_run_id"] == c.run_id:
            runs.add_error(scope, record["id"], phase, message)
            runs.update(scope, record["id"], status="failed", finished_at=c.now)
        lock.release(scope, c.run_id)


def owned(c: Cycle) -> dict[str, Any] | None:
    with c.db.for_tenant(c.slug) as scope:
        return held(scope, c)


def held(scope: TenantScope, c: Cycle) -> dict[str, Any] | None:
    """This hour's cycle record if this run holds it and it is still running, else None."""
    record = runs.get(scope, c.hour)
    if record is None or record["dagster_run_id"] != c.run_id or record["status"] != "running":
        return None
    return record


def _replay(c: Cycle, actions: list[Action], gathered: dict) -> tuple[list[dict], Counter]:
    """What the gate would have decided at that hour; nothing is claimed, queued or sent."""
    with c.db.for_tenant(c.slug) as scope:
        state = load_state(
            scope,
            c.hour,
            kill_state(c.db, scope.tenant),
            goals_behind=gathered["goals_behind"],
            engagement_violations=gathered["overdue"],
        )
    decisions = []
    for action in actions:
        d = evaluate(action, state, c.hour)
        decisions.append(
            {
                "key": action.idempotency_key,
                "kind": action.kind,
                "target": action.target,
                "status": STATUS[d.outcome],
                "rule": d.rule,
                "reason": d.reason,
            }
        )
    return decisions, Counter(d["status"] for d in decisions)


def _record_skip(c: Cycle, reason: str) -> None:
    with c.db.for_tenant(c.slug) as scope:
        record = runs.get(scope, c.hour)
        if record is not None and record["status"] != "skipped":
            return  # this hour already has a cycle (running or done): the skip is only reported
        if record is None:
            record = runs.start(scope, c.hour, c.run_id, c.now)
        runs.update(
            scope,
            record["id"],
            status="skipped",
            phase="done",
            finished_at=c.now,
            dagster_run_id=c.run_id,
            errors=[{"phase": "plan", "error": reason}],
        )


def _count_since(scope, table, column, since) -> int:
    return int(
        scope.scalar(scope.select(sa.func.count()).select_from(table).where(column >= since))
    )
