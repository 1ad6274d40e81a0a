"""The task executor in Dagster: a job, its schedule every two minutes, and a sensor that runs
it soon after a person approves a task (so approved work does not wait for the next tick).

The job's config sets the batch limit per tenant, the default timeout per task and dry run;
a person can launch it from the UI's launchpad with other values. The run fails at the end,
naming the tenants that failed, when one tenant's pass raised; the others still ran.
"""

import json

import dagster as dg
import sqlalchemy as sa

from resources.database import Database
from resources.mailer import Mailer
from resources.store.schema import task_events
from services.tasks.executor import DEFAULT_LIMIT, DEFAULT_TIMEOUT_S, held_reason, run_pass


class ExecutorConfig(dg.Config):
    tenants: list[str] = []
    limit: int = DEFAULT_LIMIT
    timeout_s: float = DEFAULT_TIMEOUT_S
    dry_run: bool = False


@dg.op(description="Run the tasks that may run now, per tenant, by priority then age.")
def execute_tasks(
    context: dg.OpExecutionContext, config: ExecutorConfig, database: Database, mailer: Mailer
) -> dg.Output[int]:
    report = run_pass(
        database,
        mailer,
        tenants=config.tenants or None,
        limit=config.limit,
        dry_run=config.dry_run,
        timeout_s=config.timeout_s,
    )
    for line in report.lines():
        context.log.info(line)
    if report.failures:
        raise dg.Failure(
            f"the executor failed for {len(report.failures)} tenant(s)",
            metadata={"failures": dg.MetadataValue.md("\n".join(report.lines()))},
        )
    ran = sum(sum(c.values()) for c in report.counts.values())
    summary = "\n".join(f"- {line}" for line in report.lines()) or "no tenants"
    return dg.Output(ran, metadata={"summary": dg.MetadataValue.md(summary)})


@dg.job(description="One executor pass: run approved and automated tasks, retry, escalate.")
def executor():
    execute_tasks()


@dg.schedule(
    job=executor,
    cron_schedule="*/2 * * * *",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every two minutes; skipped (with the reason) under a kill switch, the global "
    "pause or ENABLE_AUTO_EXECUTION=false.",
)
def executor_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
    held = held_reason(Database())
    if held:
        return dg.SkipReason(held)
    return dg.RunRequest(run_key=f"executor:{context.scheduled_execution_time:%Y-%m-%dT%H:%M}")


@dg.sensor(
    job=executor,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Runs the executor for a tenant soon after a person approves one of its tasks.",
)
def task_approvals_sensor(
    context: dg.SensorEvaluationContext, database: Database
) -> dg.SensorResult | dg.SkipReason:
    held = held_reason(database)
    if held:
        return dg.SkipReason(held)
    seen: dict[str, int] = json.loads(context.cursor) if context.cursor else {}
    requests = []
    for tenant in database.tenants():
        if not tenant.agent_enabled:
            continue
        with database.for_tenant(tenant.slug) as scope:
            newest = scope.scalar(
                scope.select(sa.func.max(task_events.c.id)).where(task_events.c.event == "approved")
            )
        if newest is None or newest <= seen.get(tenant.slug, 0):
            continue
        seen[tenant.slug] = newest
        requests.append(
            dg.RunRequest(
                run_key=f"approved:{tenant.slug}:{newest}",
                run_config={"ops": {"execute_tasks": {"config": {"tenants": [tenant.slug]}}}},
                tags={"steward/tenant": tenant.slug, "steward/area": "executor"},
            )
        )
    if not requests:
        return dg.SensorResult(skip_reason="no new approvals", cursor=json.dumps(seen))
    return dg.SensorResult(run_requests=requests, cursor=json.dumps(seen))
