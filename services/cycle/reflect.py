"""Reflect, the cycle's last phase: what changed since the last cycle, what was blocked and
why, hints for the next hour (agent/reflection.py); the cycle's warehouse event; then the cycle
is closed and the tenant's lock released. A rerun of the hour replaces the reflection and the
event instead of adding another."""

from __future__ import annotations

from datetime import datetime

from agent import reflection
from resources.database.clock import aware
from resources.store import cycle_lock as lock
from resources.store import cycle_runs as runs
from resources.store.schema import policy_violations
from resources.store.warehouse import record_event
from services.cycle.phases import Cycle, held
from services.outcome import Outcome


def reflect_phase(c: Cycle) -> Outcome:
    with c.db.for_tenant(c.slug) as scope:
        record = held(scope, c)
        if record is None:
            return Outcome("skipped", "no cycle of this run to reflect on")
        m = {k: v for k, v in record["metrics"].items() if k != "decisions"}
        before = runs.previous(scope, c.hour)
        earlier = runs.reflection_metrics(scope, before["id"]) if before else None
        blocked = _blocked(scope, record["started_at"])
        text = reflection.summary(m, blocked)
        settings = scope.tenant.settings
        runs.save_reflection(
            scope,
            record["id"],
            c.hour,
            text,
            changes=reflection.changes(earlier, m),
            metrics=m,
            blocked=blocked,
            hints=reflection.hints(
                m, settings.send_mode, settings.thresholds.engagement_compliance_target, c.slug
            ),
        )
        record_event(scope, f"cycle:{c.hour:%Y-%m-%dT%H}", "cycle", c.hour, m, c.run_id)
        finished = c.now
        runs.update(
            scope,
            record["id"],
            status="completed",
            phase="done",
            finished_at=finished,
            duration_ms=int((finished - aware(record["started_at"])).total_seconds() * 1000),
        )
        lock.release(scope, c.run_id)
    return Outcome("done", text, m)


def _blocked(scope, since: datetime) -> dict[str, dict]:
    rows = scope.execute(
        scope.select(policy_violations.c.rule, policy_violations.c.reason)
        .where(policy_violations.c.created_at >= since)
        .order_by(policy_violations.c.id)
    ).all()
    grouped: dict[str, dict] = {}
    for rule, reason in rows:
        entry = grouped.setdefault(rule, {"count": 0, "example": reason})
        entry["count"] += 1
    return grouped
