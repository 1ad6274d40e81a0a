"""Judge a day of every tenant's metrics (agent/insights.py) and keep each finding, the
normal ones and the "not enough data" ones too, so a quiet day says why it is quiet. An
anomaly raises an alert for its tenant."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from agent.insights import BASELINE_WEEKS, METRICS, Anomaly, judge
from resources.alerts import Alerts
from resources.database import Database, WarehouseScope
from resources.store import facts
from resources.store import insights as store
from resources.store.schema import (
    actions_daily,
    engagement_daily,
    feedback_daily,
    mail_daily,
    orders_daily,
    tenants,
)

# Where each metric comes from: the fact table, the value, and which rows count.
SOURCES = {
    "orders_placed": (orders_daily, orders_daily.c.orders_placed, sa.true()),
    "order_value": (orders_daily, orders_daily.c.order_value, sa.true()),
    "delivered_value": (orders_daily, orders_daily.c.delivered_value, sa.true()),
    "received": (mail_daily, mail_daily.c.received, sa.true()),
    "sent": (mail_daily, mail_daily.c.sent, sa.true()),
    "bounces_hard": (mail_daily, mail_daily.c.bounces_hard, sa.true()),
    "complaints": (mail_daily, mail_daily.c.complaints, sa.true()),
    "touches_out": (engagement_daily, engagement_daily.c.touches_out, sa.true()),
    "decisions_blocked": (actions_daily, actions_daily.c.decisions,
                          actions_daily.c.status == "blocked"),
    "negative_feedback": (feedback_daily, feedback_daily.c.negative, sa.true()),
}


@dataclass
class Judged:
    day: date
    counts: Counter = field(default_factory=Counter)  # findings by status
    anomalies: list[tuple[str, Anomaly]] = field(default_factory=list)  # (tenant slug, finding)


def _values(scope: WarehouseScope, start: date, end: date) -> dict[tuple[int, str], dict]:
    found: dict[tuple[int, str], dict] = {}
    for metric, (table, value, condition) in SOURCES.items():
        rows = scope.execute(
            sa.select(table.c.tenant_id, table.c.day, sa.func.sum(value))
            .where(table.c.day >= start, table.c.day <= end, condition)
            .group_by(table.c.tenant_id, table.c.day))
        for tenant_id, day, total in rows:
            found.setdefault((tenant_id, metric), {})[facts.as_date(day)] = float(total or 0)
    return found


def judge_day(db: Database, day: date, now: datetime) -> Judged:
    """Every tenant's metrics for `day` against the same weekday of the weeks before."""
    start = day - timedelta(weeks=BASELINE_WEEKS)
    window = [start + timedelta(days=n) for n in range((day - start).days + 1)]
    result = Judged(day)
    with db.warehouse() as scope:
        built = facts.days_built(scope, window)
        values = _values(scope, start, day)
        slugs = dict(scope.execute(sa.select(tenants.c.id, tenants.c.slug)).all())
        rows = []
        for tenant_id, slug in slugs.items():
            for metric in METRICS:
                known = values.get((tenant_id, metric.name), {})
                finding = judge(metric, day, {d: known.get(d, 0.0) for d in built})
                result.counts[finding.status] += 1
                if finding.status == "anomaly":
                    result.anomalies.append((slug, finding))
                rows.append(store.anomaly_row(tenant_id, finding, now))
        store.replace_anomalies(scope, day, rows)
    return result


def raise_alerts(db: Database, alerts: Alerts, judged: Judged, now: datetime) -> int:
    """One alert per tenant and metric, kept open (and counted) while the metric stays odd."""
    for slug, finding in judged.anomalies:
        with db.for_tenant(slug) as scope:
            alerts.raise_(scope, "insight_anomaly", f"insight_anomaly:{finding.metric}",
                          f"unusual {finding.metric.replace('_', ' ')} on {finding.day}",
                          finding.reason, now, "warning")
    return len(judged.anomalies)
