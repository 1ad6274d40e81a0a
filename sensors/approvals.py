"""`task_approvals_sensor`: runs the executor for a tenant soon after a person approves one of
its tasks, so approved work does not wait for the executor schedule's next tick. The cursor is
the newest "approved" event id seen per tenant."""

import json

import dagster as dg

from resources.database import Database
from resources.store.tasks import newest_approval
from services.tasks.executor import held_reason


@dg.sensor(
    job_name="executor",
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
            newest = newest_approval(scope)
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
