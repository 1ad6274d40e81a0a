"""The Steward code location: every area's assets, jobs and sensors, merged into one Definitions
with the resources they are given and the executor runs use."""

import dagster as dg

from assets.broadcasts import broadcasts
from assets.compliance import compliance
from assets.cycle import cycle_phases
from assets.documents import documents
from assets.inbox import inbox
from assets.insights import daily_insights, weekly_insights
from assets.orders import order_validation
from assets.overview import tenant_overview
from assets.warehouse import warehouse_facts
from pipelines.executor import executor, executor_schedule
from pipelines.instance import batch_event_writes
from pipelines.jobs import (
    cycle_job,
    documents_job,
    ingest_job,
    insights_job,
    orders_job,
    overview_job,
    warehouse_job,
)
from pipelines.outbox import approval, dispatch, dispatch_schedule
from pipelines.resources import RESOURCES
from pipelines.schedules import (
    cycle_schedule,
    ingest_schedule,
    insights_schedule,
    warehouse_schedule,
)
from pipelines.strategy import strategy_job
from sensors.approvals import task_approvals_sensor
from sensors.documents import documents_sensor
from sensors.orders import new_orders_sensor
from sensors.tenants import tenant_registry_sensor

batch_event_writes()  # this module is what code servers and run workers load first

overview_defs = dg.Definitions(assets=[tenant_overview], jobs=[overview_job])
inbox_defs = dg.Definitions(assets=[inbox], jobs=[ingest_job], schedules=[ingest_schedule])
registry_defs = dg.Definitions(sensors=[tenant_registry_sensor])
orders_defs = dg.Definitions(
    assets=[order_validation], jobs=[orders_job], sensors=[new_orders_sensor]
)
cycle_defs = dg.Definitions(
    assets=[cycle_phases, compliance, broadcasts],
    jobs=[cycle_job],
    schedules=[cycle_schedule],
)
documents_defs = dg.Definitions(
    assets=[documents], jobs=[documents_job], sensors=[documents_sensor]
)
outbox_defs = dg.Definitions(jobs=[dispatch, approval], schedules=[dispatch_schedule])
strategy_defs = dg.Definitions(jobs=[strategy_job])
warehouse_defs = dg.Definitions(
    assets=[warehouse_facts, daily_insights, weekly_insights],
    jobs=[warehouse_job, insights_job],
    schedules=[warehouse_schedule, insights_schedule],
)
executor_defs = dg.Definitions(
    jobs=[executor], schedules=[executor_schedule], sensors=[task_approvals_sensor]
)
# In process by default: the UI's asset graph launches runs with the code location's executor,
# and a subprocess per step costs more than the steps themselves (each loops over its tenants).
shared = dg.Definitions(resources=RESOURCES, executor=dg.in_process_executor)

defs = dg.Definitions.merge(
    overview_defs,
    inbox_defs,
    orders_defs,
    cycle_defs,
    documents_defs,
    registry_defs,
    outbox_defs,
    executor_defs,
    strategy_defs,
    warehouse_defs,
    shared,
)
