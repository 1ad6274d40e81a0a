"""The owner's weekly report: one HTML file per tenant and week with four charts (orders
against the monthly goal, open deals by stage, engagement compliance against its target, the
week's anomalies inside their expected bands), the accounts most overdue and the
recommendations. The charts are PNG (matplotlib, no display), embedded in the file, and handed
back so the Dagster asset shows them in its metadata."""

from __future__ import annotations

import base64
import calendar
import html
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display on a server

import matplotlib.pyplot as plt  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from resources.database import Database, TenantScope  # noqa: E402
from resources.store import insights as store  # noqa: E402
from resources.store.schema import (  # noqa: E402
    anomalies,
    client_patterns,
    engagement_daily,
    orders_daily,
    pipeline_daily,
)

WEEKS = 8  # history the charts show


@dataclass
class Report:
    path: Path
    charts: dict[str, bytes]


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


def _series(scope: TenantScope, column, start: date, end: date) -> dict[date, float]:
    table = column.table
    rows = scope.execute(scope.select(table.c.day, sa.func.sum(column))
                         .where(table.c.day >= start, table.c.day <= end)
                         .group_by(table.c.day))
    return {d: float(v or 0) for d, v in rows}


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def _orders_chart(scope: TenantScope, start: date, end: date) -> bytes:
    values = _series(scope, orders_daily.c.orders_placed, start, end)
    days = _days(start, end)
    figure, axis = plt.subplots(figsize=(7, 2.6))
    axis.bar(days, [values.get(d, 0) for d in days], color="#4477aa", label="orders placed")
    goal = scope.tenant.settings.goals.orders_per_month
    if goal:
        axis.plot(days, [goal / calendar.monthrange(d.year, d.month)[1] for d in days],
                  color="#cc6677", label=f"goal ({goal} a month)")
    axis.set_title("Orders per day against the goal")
    axis.legend(loc="upper left", fontsize=8)
    figure.autofmt_xdate()
    return _png(figure)


def _pipeline_chart(scope: TenantScope, end: date) -> bytes:
    rows = scope.execute(
        scope.select(pipeline_daily.c.stage,
                     sa.func.sum(pipeline_daily.c.deals_entered - pipeline_daily.c.deals_left))
        .where(pipeline_daily.c.day <= end).group_by(pipeline_daily.c.stage)).all()
    stages = [(stage, int(n)) for stage, n in rows if stage not in ("won", "lost") and n > 0]
    figure, axis = plt.subplots(figsize=(7, 2.6))
    if stages:
        axis.barh([s for s, _ in stages], [n for _, n in stages], color="#228833")
    else:
        axis.text(0.5, 0.5, "no open deals recorded", ha="center", va="center")
    axis.set_title(f"Open deals by stage on {end}")
    return _png(figure)


def _compliance_chart(scope: TenantScope, start: date, end: date) -> bytes:
    rows = scope.execute(scope.select(engagement_daily.c.day, engagement_daily.c.compliance_rate)
                         .where(engagement_daily.c.day >= start, engagement_daily.c.day <= end,
                                engagement_daily.c.compliance_rate.is_not(None))
                         .order_by(engagement_daily.c.day)).all()
    figure, axis = plt.subplots(figsize=(7, 2.6))
    target = scope.tenant.settings.thresholds.engagement_compliance_target
    if rows:
        axis.plot([d for d, _ in rows], [r * 100 for _, r in rows], marker=".",
                  color="#4477aa", label="contacts within their window")
    else:
        axis.text(0.5, 0.5, "no cycle figures in these weeks", ha="center", va="center",
                  transform=axis.transAxes)
        axis.set_xticks([])
    axis.axhline(target * 100, color="#cc6677", linestyle="--", label=f"target {target:.0%}")
    axis.set_ylim(0, 105)
    axis.set_title("Engagement compliance (%)")
    axis.legend(loc="lower left", fontsize=8)
    figure.autofmt_xdate()
    return _png(figure)


def _anomaly_rows(scope: TenantScope, start: date, end: date) -> list[dict]:
    return [dict(r) for r in scope.execute(
        scope.select(anomalies).where(anomalies.c.day >= start, anomalies.c.day <= end,
                                      anomalies.c.status == "anomaly")
        .order_by(anomalies.c.day, anomalies.c.metric)).mappings()]


def _anomaly_chart(found: list[dict]) -> bytes:
    figure, axis = plt.subplots(figsize=(7, 2.6))
    if not found:
        axis.text(0.5, 0.5, "no anomalies this week", ha="center", va="center",
                  transform=axis.transAxes)
        axis.set_axis_off()
    for n, row in enumerate(found):
        low, high = row["expected_low"], row["expected_high"]
        axis.plot([n, n], [low, high], color="#bbbbbb", linewidth=8, solid_capstyle="butt")
        axis.plot(n, row["actual"], "o", color="#cc6677")
    if found:
        axis.set_xticks(range(len(found)),
                        [f"{r['metric']}\n{r['day']:%a %d}" for r in found], fontsize=7)
        axis.set_title("The week's anomalies (dot) against their expected range (band)")
    return _png(figure)


def _table(headers: list[str], rows: list[list[object]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>"
                   for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def weekly_report(db: Database, slug: str, week: date, folder: Path, now: datetime) -> Report:
    end = week + timedelta(days=6)
    start = end - timedelta(weeks=WEEKS) + timedelta(days=1)
    with db.for_tenant(slug) as scope:
        name = scope.tenant.name
        found = _anomaly_rows(scope, week, end)
        charts = {
            "orders": _orders_chart(scope, start, end),
            "pipeline": _pipeline_chart(scope, end),
            "compliance": _compliance_chart(scope, start, end),
            "anomalies": _anomaly_chart(found),
        }
        patterns = [dict(r) for r in scope.execute(
            scope.select(client_patterns).where(client_patterns.c.week == week,
                                                client_patterns.c.status == "pattern")
            .order_by(client_patterns.c.overdue_ratio.desc()).limit(10)).mappings()]
        strategies = store.latest(scope, 10)["strategies"]
    images = "".join(
        f'<h2>{title}</h2><img alt="{title}" src="data:image/png;base64,'
        f'{base64.b64encode(charts[key]).decode()}">'
        for key, title in (("orders", "Orders"), ("pipeline", "Pipeline"),
                           ("compliance", "Engagement"), ("anomalies", "Anomalies")))
    text = f"""<!doctype html><html><head><meta charset="utf-8">
<title>{html.escape(name)}: week of {week}</title>
<style>body{{font-family:sans-serif;max-width:760px;margin:2em auto}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:2px 6px;font-size:13px}}
</style></head><body><h1>{html.escape(name)}: the week of {week}</h1>
<p>Built {now:%Y-%m-%d %H:%M} UTC from the warehouse's daily facts.</p>{images}
<h2>What stood out</h2>{_table(["day", "metric", "finding"],
    [[r["day"], r["metric"], r["reason"]] for r in found]) if found else "<p>Nothing unusual.</p>"}
<h2>Clients most overdue</h2>{_table(["account", "usual gap (days)", "days since", "risk"],
    [[p["account"], p["median_interval_days"], p["days_since"], p["churn_risk"]]
     for p in patterns]) if patterns else "<p>Not enough order history for a cadence.</p>"}
<h2>Recommendations</h2>{_table(["status", "recommendation", "support"],
    [[s["status"], s["title"], s["support"]] for s in strategies])
    if strategies else "<p>None this week.</p>"}
</body></html>"""
    path = folder / slug / f"week-{week.isoformat()}.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return Report(path, charts)
