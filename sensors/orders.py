"""New-order sensor: tenants with orders nobody has validated get an `orders` run in minutes.

One run covers every tenant that has new orders, as a partition range in partition order
(tenants inside the range without new orders are checked too, and cost a query). A tenant whose
partition the registry sensor has not added yet keeps its place in the cursor and is picked up by
a later tick. Orders committed late with a lower id are still validated by the next request or by
the hourly cycle.
"""

import json

import dagster as dg

from assets.hour import launch_tags
from assets.partitions import TENANTS, partition_tags
from resources.database import Database
from resources.store.orders import newest_pending
from sensors.watermark import moved_tenants, run_key
from services.killswitch import kill_state


@dg.sensor(
    job_name="orders",
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Validates new orders within minutes of their arrival: one run for every "
    "tenant that has some.",
)
def new_orders_sensor(
    context: dg.SensorEvaluationContext, database: Database
) -> dg.SensorResult | dg.SkipReason:
    state = kill_state(database)
    if state.active:
        return dg.SkipReason(state.describe())
    moved, seen = moved_tenants(database, newest_pending, context.cursor)
    partitions = context.instance.get_dynamic_partitions(TENANTS)
    ready = {slug: moved[slug] for slug in partitions if slug in moved}
    if not ready:
        waiting = f" ({len(moved)} tenant(s) wait for their partition)" if moved else ""
        return dg.SensorResult(skip_reason="no new orders" + waiting, cursor=json.dumps(seen))
    seen.update(ready)
    request = dg.RunRequest(
        run_key=run_key("orders", ready),
        tags={**partition_tags(list(ready)), **launch_tags("orders")},
    )
    return dg.SensorResult(run_requests=[request], cursor=json.dumps(seen))
