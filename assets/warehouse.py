"""`warehouse_facts`: the daily facts for every tenant, one partition per UTC day.

A run covers a range of days (a backfill over history is one run: `BackfillPolicy.single_run`)
and every tenant in each, so the partition set stays one per day however many tenants there
are. Each run also rebuilds the earlier days that received late events, exports every day it
built as Parquet, and checks the facts against the source tables.
"""

from datetime import UTC, date, datetime, timedelta

import dagster as dg

from assets.batch import require_schema
from resources.database import Database
from resources.paths import steward_home
from services.warehouse.build import build_days
from services.warehouse.checks import mismatches, newest_built_day, out_of_bounds
from services.warehouse.export import export_days

FIRST_DAY = "2024-01-01"
daily_partitions = dg.DailyPartitionsDefinition(start_date=FIRST_DAY, timezone="UTC")
SHOWN = 20
# The newest built day may be this old before the freshness check warns (yesterday's build
# runs shortly after midnight UTC).
FRESH_DAYS = 2


@dg.asset(
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name="warehouse",
    kinds={"sql", "parquet"},
    check_specs=[
        dg.AssetCheckSpec("facts_reconcile", asset="warehouse_facts", blocking=False,
                          description="each day's order and received-mail counts equal the "
                          "orders and messages tables' for that day, per tenant"),
        dg.AssetCheckSpec("facts_in_bounds", asset="warehouse_facts",
                          description="no fact day holds more rows than tenants and dimensions "
                          "allow, and no count is negative"),
        dg.AssetCheckSpec("facts_fresh", asset="warehouse_facts",
                          description=f"the newest built day is at most {FRESH_DAYS} days old"),
    ],
)
def warehouse_facts(context: dg.AssetExecutionContext, database: Database) -> dg.MaterializeResult:
    """Orders and revenue, pipeline by stage, quotes won and lost, engagement, response times,
    decisions, mail and feedback per tenant and day, in the `analytics` tables."""
    require_schema(database)
    days = [date.fromisoformat(key) for key in context.partition_keys]
    now = datetime.now(UTC)
    built = build_days(database, days, now)
    every_day = sorted(set(built.days) | set(built.late))
    exported = export_days(database, every_day, steward_home() / "warehouse")
    slugs = [t.slug for t in database.tenants()]
    wrong = mismatches(database, slugs, every_day)
    bounds = out_of_bounds(database, every_day)
    newest = newest_built_day(database)
    stale = newest is None or newest < now.date() - timedelta(days=FRESH_DAYS)
    context.log.info(built.summary())
    table = "\n".join(f"| {name} | {rows} |" for name, rows in built.rows.items())
    return dg.MaterializeResult(
        metadata={
            "days": len(built.days),
            "late_days": dg.MetadataValue.json([d.isoformat() for d in built.late]),
            "events_through": built.events_through,
            "fact_rows": dg.MetadataValue.md("| fact | rows |\n|---|---|\n" + table),
            "parquet": dg.MetadataValue.path(str(steward_home() / "warehouse")),
            "parquet_files": len(exported),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="facts_reconcile", passed=not wrong,
                severity=dg.AssetCheckSeverity.ERROR,
                metadata={"mismatches": len(wrong), "tenants": len(slugs),
                          "first": dg.MetadataValue.md(
                              "\n".join(f"- {m.line()}" for m in wrong[:SHOWN]) or "none")}),
            dg.AssetCheckResult(
                check_name="facts_in_bounds", passed=not bounds,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={"problems": dg.MetadataValue.md(
                    "\n".join(f"- {p}" for p in bounds[:SHOWN]) or "none")}),
            dg.AssetCheckResult(
                check_name="facts_fresh", passed=not stale,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={"newest_day": newest.isoformat() if newest else "none built"}),
        ],
    )
