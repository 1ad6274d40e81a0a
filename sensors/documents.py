"""Documents sensor: a tenant whose uploads folder changed (a file added, replaced or touched),
or that has documents waiting (attachments ingest registered), gets a `documents` run within
minutes. One run covers every such tenant, as a partition range in partition order.

The cursor keeps, per tenant, a fingerprint of its folder (names, sizes, modification times;
no file is read) and the newest waiting document, so an unchanged tenant costs a directory
listing and one query per tick.
"""

import json
from pathlib import Path

import dagster as dg

from assets.hour import launch_tags
from assets.partitions import TENANTS, partition_tags
from resources.database import Database
from resources.store.documents import newest_pending
from sensors.watermark import run_key
from services.documents.registry import folder_fingerprint
from services.killswitch import kill_state


def tenant_states(database: Database, slugs: list[str]) -> dict[str, str]:
    states = {}
    for scope in database.each_tenant(slugs):
        folder = scope.tenant.settings.documents_dir
        printed = folder_fingerprint(Path(folder)) if folder and Path(folder).is_dir() else "-"
        states[scope.tenant.slug] = f"{printed[:16]}:{newest_pending(scope) or 0}"
    return states


def _needs_run(before: str | None, now: str) -> bool:
    """The folder changed, or documents wait that were not waiting at the last tick (the queue
    emptying is no reason for a run)."""
    folder, waiting = now.split(":")
    if before is None:
        return folder != "-" or waiting != "0"
    old_folder, old_waiting = before.split(":")
    return folder != old_folder or (waiting != "0" and waiting != old_waiting)


@dg.sensor(
    job_name="document_extraction",
    minimum_interval_seconds=120,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Extracts new and changed documents within minutes: one run for every tenant "
    "whose uploads folder changed or that has documents waiting.",
)
def documents_sensor(
    context: dg.SensorEvaluationContext, database: Database
) -> dg.SensorResult | dg.SkipReason:
    state = kill_state(database)
    if state.active:
        return dg.SkipReason(state.describe())
    seen = json.loads(context.cursor) if context.cursor else {}
    partitions = context.instance.get_dynamic_partitions(TENANTS)
    states = tenant_states(database, [t.slug for t in database.tenants()
                                      if t.slug in partitions])
    changed = {slug: s for slug, s in states.items() if _needs_run(seen.get(slug), s)}
    if not changed:
        return dg.SensorResult(skip_reason="no new or changed documents",
                               cursor=json.dumps({**seen, **states}))
    ordered = [slug for slug in partitions if slug in changed]
    request = dg.RunRequest(
        run_key=run_key("documents", changed),
        tags={**partition_tags(ordered), **launch_tags("documents")},
    )
    return dg.SensorResult(run_requests=[request], cursor=json.dumps({**seen, **states}))
