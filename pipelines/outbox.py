"""Dagster jobs around the guarded-actions core: dispatch the outbox, decide an approval.

`dispatch` is what the schedule runs every minute and what a person launches from the UI: per
tenant it puts deferred actions whose time has come back through the gate, expires unanswered
approvals, delivers due outbox rows and checks the sending alert rules (services/delivery.py).
One tenant's failure is logged and the others go on; the run fails at the end, naming the
tenants that failed.
`decide_approval` lets a person approve or reject a waiting task or action from the UI's
launchpad.
"""

from typing import Literal

import dagster as dg

from assets.batch import TRANSIENT, TRANSIENT_RETRY
from pipelines.schedules import due_request
from resources.clients import Clients
from resources.database import Database
from services import approvals
from services.delivery import dispatch_pass
from services.due import dispatch_due
from services.killswitch import kill_state


class DispatchConfig(dg.Config):
    tenants: list[str] = []
    limit: int = 200


class ApprovalConfig(dg.Config):
    task_id: int
    decision: Literal["approve", "reject"]
    actor: str
    reason: str = ""
    tenant: str = ""


@dg.op(
    description="Deliver due outbox rows for the chosen tenants (default: all enabled).",
    retry_policy=TRANSIENT_RETRY,  # retried only when a tenant failed for a transient reason
)
def dispatch_outbox(
    context: dg.OpExecutionContext,
    config: DispatchConfig,
    database: Database,
    clients: Clients,
) -> dg.Output[int]:
    slugs = config.tenants or [t.slug for t in database.tenants() if t.agent_enabled]
    lines, failed, transient = [], [], False
    for slug in slugs:
        try:
            lines.append(dispatch_pass(database, clients, slug, config.limit))
            context.log.info(lines[-1])
        except Exception as exc:  # one tenant's failure must not stop the others
            context.log.exception(f"dispatch failed for {slug}")
            failed.append(f"{slug}: {type(exc).__name__}: {exc}")
            transient = transient or isinstance(exc, TRANSIENT)
    if failed:
        raise dg.Failure(
            f"dispatch failed for {len(failed)} of {len(slugs)} tenant(s): {failed[0]}",
            metadata={"failures": dg.MetadataValue.md("\n".join(f"- {f}" for f in failed))},
            allow_retries=transient,
        )
    summary = "\n".join(f"- {line}" for line in lines) or "no tenants"
    return dg.Output(len(slugs), metadata={"summary": dg.MetadataValue.md(summary)})


@dg.op(description="Approve or reject a task or action waiting for a person.")
def decide_approval(
    context: dg.OpExecutionContext, config: ApprovalConfig, database: Database
) -> None:
    try:
        slug = config.tenant or approvals.tenant_of_task(database, config.task_id)
        line, result = approvals.decide(
            database, slug, config.task_id, config.decision, config.actor, config.reason
        )
    except (ValueError, LookupError) as exc:  # unknown, decided or expired: the person's answer
        raise dg.Failure(str(exc).strip().splitlines()[0], allow_retries=False) from None
    context.log.info(line + (f": action {result.status} ({result.reason})" if result else ""))


@dg.job(description="Deliver the outbox: retry due deferrals, expire approvals, send.")
def dispatch():
    dispatch_outbox()


@dg.job(description="Approve or reject a waiting action (task id, decision, actor, reason).")
def approval():
    decide_approval()


@dg.schedule(
    job=dispatch,
    cron_schedule="* * * * *",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every minute, for the tenants with something due; skipped (with the reason) "
    "when nothing is due or a global kill switch is on. Tenants with their own switch on are "
    "held inside the run.",
)
def dispatch_schedule(
    context: dg.ScheduleEvaluationContext, database: Database
) -> dg.RunRequest | dg.SkipReason:
    state = kill_state(database)
    if state.active:
        return dg.SkipReason(state.describe())
    when = context.scheduled_execution_time
    return due_request(
        "dispatch",
        "dispatch_outbox",
        dispatch_due(database, when),
        when,
        "no outbox row, deferred action or expiring approval",
    )
