"""The Steward code location: every area's assets, jobs and sensors, merged into one Definitions."""

import dagster as dg

from assets.overview import tenant_overview
from pipelines.jobs import overview_job
from resources.database import Database
from sensors.tenants import tenant_registry_sensor

overview_defs = dg.Definitions(assets=[tenant_overview], jobs=[overview_job])
registry_defs = dg.Definitions(sensors=[tenant_registry_sensor])
shared_resources = dg.Definitions(resources={"database": Database()})

defs = dg.Definitions.merge(overview_defs, registry_defs, shared_resources)
