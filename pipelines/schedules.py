"""Schedules: each launches one run over every tenant partition, like `steward run AREA --all`."""

import dagster as dg

from assets.partitions import TENANTS, partition_tags
from pipelines.jobs import ingest_job


def all_tenants_request(
    context: dg.ScheduleEvaluationContext, area: str
) -> dg.RunRequest | dg.SkipReason:
    slugs = context.instance.get_dynamic_partitions(TENANTS)
    if not slugs:
        return dg.SkipReason("no tenants yet (the tenant registry sensor adds them)")
    return dg.RunRequest(
        run_key=f"{area}:{context.scheduled_execution_time:%Y-%m-%dT%H:%M}",
        tags={**partition_tags(slugs), "steward/area": area},
    )


@dg.schedule(
    job=ingest_job,
    cron_schedule="*/5 * * * *",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every tenant's mailbox, every 5 minutes. Ingest only reads, so the kill "
    "switches (which stop actions) do not skip it.",
)
def ingest_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
    return all_tenants_request(context, "ingest")
