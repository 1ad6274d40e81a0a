"""`tenant_overview`: a per-tenant inventory of what Steward knows, written to the warehouse.

It is the first thing every run materializes and the figures `make run` prints; later areas
(ingest, cycle, documents) hang their assets beside it on the same tenant partitions.
"""

from datetime import UTC, datetime, timedelta

import dagster as dg

from agent.overview import as_markdown
from assets.hour import run_hour
from assets.partitions import tenant_partitions
from resources.database import Database
from services.overview import overview


@dg.asset(
    partitions_def=tenant_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name="overview",
    kinds={"python", "sql"},
)
def tenant_overview(context: dg.AssetExecutionContext, database: Database) -> dg.MaterializeResult:
    """Counts and engagement figures per tenant, one warehouse event per tenant and hour."""
    database.require_current_schema()
    hour = run_hour(context)
    as_of = min(hour + timedelta(hours=1), datetime.now(UTC))
    rows = []
    for slug in context.partition_keys:
        figures = overview(database, slug, hour, as_of, context.run_id)
        context.log_event(
            dg.AssetObservation(
                asset_key=context.asset_key,
                partition=slug,
                metadata={k: v if isinstance(v, int) else str(v) for k, v in figures.items()},
            )
        )
        rows.append({"tenant": slug, **figures})
    return dg.MaterializeResult(
        metadata={
            "tenants": len(rows),
            "contacts": sum(int(r["contacts"]) for r in rows),
            "orders": sum(int(r["orders"]) for r in rows),
            "overview": dg.MetadataValue.md(as_markdown(rows)),
        }
    )
