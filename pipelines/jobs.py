"""Jobs by area: what `steward run AREA` and the schedules launch."""

import dagster as dg

from assets.partitions import tenant_partitions

overview_job = dg.define_asset_job(
    "overview",
    selection=dg.AssetSelection.groups("overview"),
    partitions_def=tenant_partitions,
    executor_def=dg.in_process_executor,
    description="Per-tenant inventory: counts, engagement window, kill switch state.",
)

ingest_job = dg.define_asset_job(
    "ingest",
    selection=dg.AssetSelection.groups("inbox"),
    partitions_def=tenant_partitions,
    executor_def=dg.in_process_executor,
    description="Read every tenant's mailbox incrementally and store what is new.",
)

cycle_job = dg.define_asset_job(
    "cycle",
    selection=dg.AssetSelection.groups("cycle"),
    partitions_def=tenant_partitions,
    executor_def=dg.in_process_executor,
    description="The hourly Plan -> Act -> React -> Reflect cycle for a range of tenants.",
)

orders_job = dg.define_asset_job(
    "orders",
    selection=dg.AssetSelection.groups("orders"),
    partitions_def=tenant_partitions,
    executor_def=dg.in_process_executor,
    description="Validate new orders: pricing, credit, requirements; apply safe fixes.",
)

AREA_JOBS = {
    "ingest": ingest_job.name,
    "overview": overview_job.name,
    "cycle": cycle_job.name,
    "orders": orders_job.name,
}
