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

AREA_JOBS = {"overview": overview_job.name}
