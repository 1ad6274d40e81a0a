"""The insight tables (schema.INSIGHTS): anomalies per tenant, day and metric; client patterns
per tenant, week and account; recommendations keyed by what they recommend, which the cycle
marks proposed once it has put their action to the gate."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from agent.insights import Anomaly, Pattern, Recommendation
from resources.database import TenantScope, WarehouseScope
from resources.store.schema import anomalies, client_patterns, success_strategies


def anomaly_row(tenant_id: int, finding: Anomaly, now: datetime) -> dict[str, Any]:
    return {"tenant_id": tenant_id, "day": finding.day, "metric": finding.metric,
            "status": finding.status, "actual": finding.actual, "baseline": finding.baseline,
            "expected_low": finding.low, "expected_high": finding.high, "score": finding.score,
            "direction": finding.direction, "evidence": finding.evidence,
            "reason": finding.reason, "built_at": now}


def replace_anomalies(scope: WarehouseScope, day: date, rows: list[dict[str, Any]]) -> None:
    scope.execute(sa.delete(anomalies).where(anomalies.c.day == day))
    if rows:
        scope.execute(sa.insert(anomalies), rows)


def replace_patterns(scope: TenantScope, week: date, patterns: list[Pattern],
                     now: datetime) -> None:
    scope.execute(sa.delete(client_patterns).where(client_patterns.c.week == week))
    scope.insert(client_patterns, [
        {"week": week, "account_id": p.account_id, "account": p.account, "orders": p.orders,
         "status": p.status, "reason": p.reason,
         "median_interval_days": p.median_interval_days, "last_order_on": p.last_order_on,
         "days_since": p.days_since, "overdue_ratio": p.overdue_ratio,
         "churn_risk": p.churn_risk, "seasonality": p.seasonality,
         "reply_hours": p.reply_hours, "win_loss": p.win_loss, "built_at": now}
        for p in patterns])


def keep_recommendations(scope: TenantScope, week: date, found: list[Recommendation],
                         now: datetime) -> tuple[int, int]:
    """Add the new ones (a recommendation found again keeps its status: proposed stays
    proposed) and withdraw the open ones this week no longer finds; returns (added,
    withdrawn)."""
    keys = {r.key for r in found}
    known = set(scope.execute(scope.select(success_strategies.c.strategy_key)).scalars())
    added = scope.insert(success_strategies, [
        {"strategy_key": r.key, "kind": r.kind, "account_id": r.account_id, "title": r.title,
         "support": r.support, "evidence": r.evidence, "action": r.action, "status": "open",
         "week": week, "created_at": now}
        for r in found if r.key not in known])
    stale = scope.execute(
        sa.update(success_strategies)
        .where(success_strategies.c.status == "open",
               success_strategies.c.strategy_key.not_in(keys) if keys else sa.true())
        .values(status="withdrawn"))
    return added, stale.rowcount


def open_recommendations(scope: TenantScope) -> list[dict[str, Any]]:
    return [dict(r) for r in scope.execute(
        scope.select(success_strategies).where(success_strategies.c.status == "open")
        .order_by(success_strategies.c.created_at)).mappings()]


def mark_proposed(scope: TenantScope, keys: dict[str, str], now: datetime) -> None:
    """`keys` maps each recommendation's key to its action's idempotency key."""
    for strategy_key, action_key in keys.items():
        scope.execute(sa.update(success_strategies)
                      .where(success_strategies.c.strategy_key == strategy_key)
                      .values(status="proposed", action_key=action_key, proposed_at=now))


def latest(scope: TenantScope, limit: int) -> dict[str, list[dict[str, Any]]]:
    """What `steward insights show` prints: the newest day's findings, the newest week's
    patterns (every account, most overdue first), and the latest `limit` recommendations."""
    day = scope.scalar(scope.select(sa.func.max(anomalies.c.day)))
    week = scope.scalar(scope.select(sa.func.max(client_patterns.c.week)))
    found = [] if day is None else [dict(r) for r in scope.execute(
        scope.select(anomalies).where(anomalies.c.day == day)
        .order_by(anomalies.c.status, anomalies.c.metric)).mappings()]
    patterns = [] if week is None else [dict(r) for r in scope.execute(
        scope.select(client_patterns).where(client_patterns.c.week == week)
        .order_by(client_patterns.c.overdue_ratio.desc().nulls_last())).mappings()]
    strategies = [dict(r) for r in scope.execute(
        scope.select(success_strategies).order_by(success_strategies.c.created_at.desc())
        .limit(limit)).mappings()]
    return {"anomalies": found, "patterns": patterns, "strategies": strategies}
