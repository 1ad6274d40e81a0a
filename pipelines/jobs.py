"""Jobs by area: what `steward run AREA` and the schedules launch.

Each is the area's asset group over the tenant partitions, run in one process: a run covers a
range of tenants and its steps loop over them, so there is nothing to gain from a process per
step.
"""

import dagster as dg

from assets.insights import weekly_partitions
from assets.partitions import tenant_partitions
from assets.warehouse import daily_partitions


def _area_job(name: str, group: str, description: str):
    return dg.define_asset_job(
        name,
        selection=dg.AssetSelection.groups(group),
        partitions_def=tenant_partitions,
        executor_def=dg.in_process_executor,
        description=description,
    )


overview_job = _area_job(
    "overview", "overview", "Per-tenant inventory: counts, engagement window, kill switch state."
)
ingest_job = _area_job(
    "ingest", "inbox", "Read every tenant's mailbox incrementally and store what is new."
)
cycle_job = _area_job(
    "cycle", "cycle", "The hourly Plan -> Act -> React -> Reflect cycle for a range of tenants."
)
orders_job = _area_job(
    "orders", "orders", "Validate new orders: pricing, credit, requirements; apply safe fixes."
)

# Not named `documents`: that is the asset's (and its op's) name, and Dagster wants them apart.
documents_job = _area_job(
    "document_extraction", "documents",
    "Register, extract and index every tenant's documents (uploads, mail attachments).",
)

AREA_JOBS = {
    **{job.name: job.name for job in (ingest_job, overview_job, cycle_job, orders_job)},
    "documents": documents_job.name,
}

warehouse_job = dg.define_asset_job(
    "warehouse",
    selection=dg.AssetSelection.groups("warehouse"),
    partitions_def=daily_partitions,
    executor_def=dg.in_process_executor,
    description="Build the daily facts for a range of days, every tenant in each, and judge "
    "each day's metrics (daily insights).",
)

insights_job = dg.define_asset_job(
    "insights",
    selection=dg.AssetSelection.groups("insights"),
    partitions_def=weekly_partitions,
    executor_def=dg.in_process_executor,
    description="Client patterns, recommendations and the owner's report for a week.",
)
