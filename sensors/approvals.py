"""`task_approvals_sensor`: runs the executor soon after a person approves a task, so approved
work does not wait for the executor schedule's next tick. One run covers every tenant with a new
approval; the cursor is the newest "approved" event id seen per tenant."""

import json

import dagster as dg

from assets.hour import launch_tags
from resources.database import Database
from resources.store.tasks import newest_approval
from sensors.watermark import moved_tenants, run_key
from services.tasks.executor import held_reason


@dg.sensor(
    job_name="executor",
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Runs the executor soon after a person approves a task: one run for every "
    "tenant with a new approval.",
)
def task_approvals_sensor(
    context: dg.SensorEvaluationContext, database: Database
) -> dg.SensorResult | dg.SkipReason:
    held = held_reason(database)
    if held:
        return dg.SkipReason(held)
    moved, seen = moved_tenants(database, newest_approval, context.cursor)
    if not moved:
        return dg.SensorResult(skip_reason="no new approvals", cursor=json.dumps(seen))
    seen.update(moved)
    request = dg.RunRequest(
        run_key=run_key("approved", moved),
        run_config={"ops": {"execute_tasks": {"config": {"tenants": list(moved)}}}},
        tags=launch_tags("executor"),
    )
    return dg.SensorResult(run_requests=[request], cursor=json.dumps(seen))
