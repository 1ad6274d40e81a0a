"""New-order sensor: a tenant with orders nobody has validated gets an `orders` run in minutes.

The cursor keeps, per tenant, the highest order id already handed to a run, so an order is
requested once however often the sensor ticks; the run key (tenant and that id) makes a
duplicate request harmless too. Orders committed late with a lower id are still validated by
the next request or by the hourly cycle.
"""

import json

import dagster as dg

from resources.database import Database
from resources.store.orders import newest_pending
from services.killswitch import kill_state


@dg.sensor(
    job_name="orders",
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Validates new orders per tenant within minutes of their arrival.",
)
def new_orders_sensor(
    context: dg.SensorEvaluationContext, database: Database
) -> dg.SensorResult | dg.SkipReason:
    state = kill_state(database)
    if state.active:
        return dg.SkipReason(state.describe())
    seen: dict[str, int] = json.loads(context.cursor) if context.cursor else {}
    requests = []
    for tenant in database.tenants():
        if not tenant.agent_enabled:
            continue
        with database.for_tenant(tenant.slug) as scope:
            newest = newest_pending(scope)
        if newest is None or newest <= seen.get(tenant.slug, 0):
            continue
        seen[tenant.slug] = newest
        requests.append(
            dg.RunRequest(
                run_key=f"orders:{tenant.slug}:{newest}",
                partition_key=tenant.slug,
                tags={"steward/tenant": tenant.slug, "steward/area": "orders"},
            )
        )
    if not requests:
        return dg.SensorResult(skip_reason="no new orders", cursor=json.dumps(seen))
    return dg.SensorResult(run_requests=requests, cursor=json.dumps(seen))
