"""`tenant_overview`: a per-tenant inventory of what Steward knows, written to the warehouse.

It is the first thing every run materializes and the figures `make run` prints; later areas
(ingest, cycle, documents) hang their assets beside it on the same tenant partitions.
"""

from datetime import UTC, datetime, timedelta

import dagster as dg

from assets.batch import (
    Outcome,
    add_partition_metadata,
    failed_check,
    failed_spec,
    require_schema,
)
from assets.hour import run_hour
from assets.partitions import tenant_partitions
from resources.database import Database
from services.overview import overview


@dg.asset(
    partitions_def=tenant_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name="overview",
    kinds={"python", "sql"},
    check_specs=[failed_spec("tenant_overview")],
)
def tenant_overview(context: dg.AssetExecutionContext, database: Database) -> dg.MaterializeResult:
    """Counts and engagement figures per tenant, one warehouse event per tenant and hour."""
    require_schema(database)
    hour = run_hour(context)
    as_of = min(hour + timedelta(hours=1), datetime.now(UTC))
    outcomes: dict[str, Outcome] = {}
    for slug in context.partition_keys:
        try:
            figures = overview(database, slug, hour, as_of, context.run_id)
        except Exception as exc:  # shown on the check; the other tenants' figures still count
            context.log.exception(f"overview failed for {slug}")
            outcomes[slug] = Outcome("failed", f"{type(exc).__name__}: {exc}")
            continue
        outcomes[slug] = Outcome("done", f"{figures['contacts']} contacts", figures)
    add_partition_metadata(context, outcomes, context.asset_key)
    return dg.MaterializeResult(check_results=[failed_check(outcomes, context.asset_key)])
