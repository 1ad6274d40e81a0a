"""Insight assets over the warehouse.

`daily_insights` judges each day's metrics for every tenant (same daily partitions as
`warehouse_facts`, in the same run); `weekly_insights` finds each tenant's client patterns and
recommendations for a week and writes the owner's report, whose charts its metadata shows.
"""

import base64
from datetime import UTC, date, datetime

import dagster as dg

from assets.batch import require_schema
from assets.warehouse import FIRST_DAY, daily_partitions, warehouse_facts
from resources.alerts import Alerts
from resources.database import Database
from resources.paths import steward_home
from services.insights.anomalies import judge_day, raise_alerts
from services.insights.patterns import judge_week
from services.insights.report import weekly_report

weekly_partitions = dg.WeeklyPartitionsDefinition(start_date=FIRST_DAY, day_offset=1,
                                                  timezone="UTC")
SHOWN_REPORTS = 3  # tenants whose charts the weekly asset's metadata embeds
SHOWN = 50


@dg.asset(
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name="warehouse",
    deps=[warehouse_facts],
    kinds={"python", "sql"},
)
def daily_insights(context: dg.AssetExecutionContext, database: Database,
                   alerts: Alerts) -> dg.MaterializeResult:
    """Each tenant's metrics for the day against the same weekday of the 8 weeks before
    (robust z on MAD); every finding kept with its reason, anomalies raised as alerts."""
    require_schema(database)
    now = datetime.now(UTC)
    totals: dict[str, int] = {}
    found = []
    for key in context.partition_keys:
        judged = judge_day(database, date.fromisoformat(key), now)
        for status, count in judged.counts.items():
            totals[status] = totals.get(status, 0) + count
        raise_alerts(database, alerts, judged, now)
        found += judged.anomalies
    lines = "\n".join(f"| {slug} | {a.day} | {a.metric} | {a.reason} |"
                      for slug, a in found[:SHOWN])
    return dg.MaterializeResult(metadata={
        "findings": dg.MetadataValue.json(totals),
        "anomalies": len(found),
        "shown": dg.MetadataValue.md(
            "| tenant | day | metric | finding |\n|---|---|---|---|\n" + lines if found
            else "no anomalies"),
    })


@dg.asset(
    partitions_def=weekly_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name="insights",
    kinds={"python", "html"},
)
def weekly_insights(context: dg.AssetExecutionContext, database: Database) -> dg.MaterializeResult:
    """Client patterns (order cadence, churn risk, seasonality, reply hours, win/loss reasons)
    and recommendations for every tenant, and each tenant's weekly report (HTML)."""
    require_schema(database)
    now = datetime.now(UTC)
    folder = steward_home() / "reports"
    rows, charts = [], []
    tenants = database.tenants()
    for key in context.partition_keys:
        week = date.fromisoformat(key)
        for tenant in tenants:
            result = judge_week(database, tenant.slug, week, now)
            report = weekly_report(database, tenant.slug, week, folder, now)
            with_pattern = sum(p.status == "pattern" for p in result.patterns)
            rows.append(f"| {tenant.slug} | {week} | {len(result.patterns)} | {with_pattern} "
                        f"| {result.added} | {report.path} |")
            if len(charts) < SHOWN_REPORTS:
                charts.append(f"**{tenant.slug}, week of {week}**\n\n" + "\n".join(
                    f"![{name}](data:image/png;base64,{base64.b64encode(png).decode()})"
                    for name, png in report.charts.items()))
    table = ("| tenant | week | accounts | with a cadence | new recommendations | report |\n"
             "|---|---|---|---|---|---|\n" + "\n".join(rows[:SHOWN]))
    return dg.MaterializeResult(metadata={
        "reports": len(rows),
        "tenants": dg.MetadataValue.md(table),
        "charts": dg.MetadataValue.md("\n\n".join(charts) or "no tenants"),
        "folder": dg.MetadataValue.path(str(folder)),
    })
