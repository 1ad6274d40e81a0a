"""Schedules over the tenant partitions: the hourly cycle over every tenant (in runs of at most
`CYCLE_BATCH`), ingest over those with a mailbox, as `steward run AREA --all` does."""

from datetime import datetime

import dagster as dg

from assets.hour import launch_tags
from assets.partitions import TENANTS, partition_tags
from pipelines.jobs import cycle_job, ingest_job, insights_job, warehouse_job
from resources.database import Database
from services.killswitch import kill_state

# Tenants per cycle run: few runs (each costs Dagster bookkeeping), yet more than one so that
# a large installation's runs share the machine's cores.
CYCLE_BATCH = 500


@dg.schedule(
    job=ingest_job,
    cron_schedule="*/5 * * * *",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every 5 minutes, one run over the tenants with a mailbox; skipped (with the "
    "reason) when none has one. Ingest only reads, so the kill switches (which stop actions) do "
    "not skip it.",
)
def ingest_schedule(
    context: dg.ScheduleEvaluationContext, database: Database
) -> dg.RunRequest | dg.SkipReason:
    partitions = context.instance.get_dynamic_partitions(TENANTS)
    if not partitions:
        return dg.SkipReason("no tenants yet (the tenant registry sensor adds them)")
    with_mailbox = {t.slug for t in database.tenants() if t.settings.mailbox}
    slugs = [slug for slug in partitions if slug in with_mailbox]
    if not slugs:
        return dg.SkipReason("no tenant has a mailbox (steward tenant update SLUG --mailbox URL)")
    when = context.scheduled_execution_time
    return dg.RunRequest(
        run_key=f"ingest:{when:%Y-%m-%dT%H:%M}",
        tags={**partition_tags(slugs), **launch_tags("ingest", when)},
    )


def due_request(
    area: str, op: str, due: list[str], when: datetime, nothing: str
) -> dg.RunRequest | dg.SkipReason:
    """For a schedule that polls for work (dispatch, executor): one run of `op` for the tenants
    with work `due`, or a skip saying why there is none, rather than a run that finds nothing."""
    if not due:
        return dg.SkipReason(f"nothing due: {nothing}")
    return dg.RunRequest(
        run_key=f"{area}:{when:%Y-%m-%dT%H:%M}",
        run_config={"ops": {op: {"config": {"tenants": due}}}},
        tags=launch_tags(area, when),
    )


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


# Yesterday's facts, every tenant, shortly after midnight UTC. It reads and writes only the
# warehouse (no action leaves the system), so the kill switches do not skip it.
warehouse_schedule = dg.build_schedule_from_partitioned_job(
    warehouse_job, hour_of_day=0, minute_of_hour=30,
    default_status=dg.DefaultScheduleStatus.RUNNING,
)

# Last week's patterns, recommendations and reports, Monday after the daily build.
insights_schedule = dg.build_schedule_from_partitioned_job(
    insights_job, day_of_week=1, hour_of_day=1, minute_of_hour=0,
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
