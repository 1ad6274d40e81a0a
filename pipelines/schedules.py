"""Schedules: each launches runs over every tenant partition, like `steward run AREA --all`."""

import dagster as dg

from assets.hour import launch_tags
from assets.partitions import TENANTS, partition_tags
from pipelines.jobs import cycle_job, ingest_job
from resources.database import Database
from services.killswitch import kill_state

# Tenants per cycle run: few runs (each costs Dagster bookkeeping), yet more than one so that
# a large installation's runs share the machine's cores.
CYCLE_BATCH = 500


def all_tenants_request(
    context: dg.ScheduleEvaluationContext, area: str
) -> dg.RunRequest | dg.SkipReason:
    slugs = context.instance.get_dynamic_partitions(TENANTS)
    if not slugs:
        return dg.SkipReason("no tenants yet (the tenant registry sensor adds them)")
    when = context.scheduled_execution_time
    return dg.RunRequest(
        run_key=f"{area}:{when:%Y-%m-%dT%H:%M}",
        tags={**partition_tags(slugs), **launch_tags(area, when)},
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


def batches(slugs: list[str], size: int = CYCLE_BATCH) -> list[list[str]]:
    """Consecutive slices of the partition order, each a partition range for one run."""
    return [slugs[i : i + size] for i in range(0, len(slugs), size)]


@dg.schedule(
    job=cycle_job,
    cron_schedule="0 * * * *",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every hour, every tenant: plan, act, react, reflect. Skipped while a global "
    "kill switch is on; a disabled tenant is skipped inside the run, with its reason recorded.",
)
def cycle_schedule(context: dg.ScheduleEvaluationContext, database: Database):
    state = kill_state(database)
    if state.active:
        return dg.SkipReason(state.describe())
    slugs = context.instance.get_dynamic_partitions(TENANTS)
    if not slugs:
        return dg.SkipReason("no tenants yet (the tenant registry sensor adds them)")
    tags = launch_tags("cycle", context.scheduled_execution_time)
    return [
        dg.RunRequest(
            run_key=f"cycle:{context.scheduled_execution_time:%Y-%m-%dT%H}:{n}",
            tags={**partition_tags(keys), **tags},
        )
        for n, keys in enumerate(batches(slugs))
    ]
