"""The task executor in Dagster: a job and its schedule every two minutes (sensors/approvals.py
runs it soon after a person approves a task, so approved work does not wait for the next tick).

The job's config sets the batch limit per tenant, the default timeout per task and dry run;
a person can launch it from the UI's launchpad with other values. The run fails at the end,
naming the tenants that failed, when one tenant's pass raised; the others still ran.
"""

import dagster as dg

from agent.tasks.outcomes import BATCH_LIMIT, TIMEOUT_S
from pipelines.schedules import due_request
from resources.clients import Clients
from resources.database import Database
from services.due import executor_due
from services.tasks.executor import held_reason, run_pass


class ExecutorConfig(dg.Config):
    tenants: list[str] = []
    limit: int = BATCH_LIMIT
    timeout_s: float = TIMEOUT_S
    dry_run: bool = False


@dg.op(description="Run the tasks that may run now, per tenant, by priority then age.")
def execute_tasks(
    context: dg.OpExecutionContext,
    config: ExecutorConfig,
    database: Database,
    clients: Clients,
) -> dg.Output[int]:
    report = run_pass(
        database,
        clients,
        tenants=config.tenants or None,
        limit=config.limit,
        dry_run=config.dry_run,
        timeout_s=config.timeout_s,
    )
    for line in report.lines():
        context.log.info(line)
    if report.failures:
        raise dg.Failure(
            f"the executor failed for {len(report.failures)} tenant(s): "
            + next(f"{slug}: {why}" for slug, why in report.failures.items()),
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
    description="Every two minutes, for the tenants with work due; skipped (with the reason) "
    "when none is, or under a kill switch, the global pause or ENABLE_AUTO_EXECUTION=false.",
)
def executor_schedule(
    context: dg.ScheduleEvaluationContext, database: Database
) -> dg.RunRequest | dg.SkipReason:
    held = held_reason(database)
    if held:
        return dg.SkipReason(held)
    when = context.scheduled_execution_time
    return due_request(
        "executor",
        "execute_tasks",
        executor_due(database, when),
        when,
        "no runnable, stuck or finished-subtask work",
    )
