"""Keeps the `tenants` dynamic partitions in step with the tenants table."""

import hashlib
import json

import dagster as dg

from assets.partitions import TENANTS
from resources.database import Database


def partition_changes(wanted: list[str], existing: list[str]) -> tuple[list[str], list[str]]:
    """Slugs to add and to delete so the partitions equal the tenants table, in table order."""
    have, want = set(existing), set(wanted)
    return [s for s in wanted if s not in have], [s for s in existing if s not in want]


def registry_digest(slugs: list[str]) -> str:
    return hashlib.sha256("\n".join(slugs).encode()).hexdigest()[:16]


def sync_partitions(instance: dg.DagsterInstance, slugs: list[str]) -> tuple[list[str], list[str]]:
    """Apply the changes straight to an instance (the CLI does this before launching a run)."""
    add, remove = partition_changes(slugs, instance.get_dynamic_partitions(TENANTS))
    if add:
        instance.add_dynamic_partitions(TENANTS, add)
    for slug in remove:
        instance.delete_dynamic_partition(TENANTS, slug)
    return add, remove


@dg.sensor(
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Adds a tenant partition for every tenant row and removes those whose row is gone.",
)
def tenant_registry_sensor(
    context: dg.SensorEvaluationContext, database: Database
) -> dg.SensorResult | dg.SkipReason:
    slugs = [t.slug for t in database.tenants()]
    add, remove = partition_changes(slugs, context.instance.get_dynamic_partitions(TENANTS))
    cursor = json.dumps({"tenants": len(slugs), "digest": registry_digest(slugs)})
    if not add and not remove:
        return dg.SensorResult(
            skip_reason=f"{len(slugs)} tenants, partitions in step", cursor=cursor
        )
    requests: list = []
    if add:
        requests.append(
            dg.AddDynamicPartitionsRequest(partitions_def_name=TENANTS, partition_keys=add)
        )
    if remove:
        requests.append(
            dg.DeleteDynamicPartitionsRequest(partitions_def_name=TENANTS, partition_keys=remove)
        )
    context.log.info(f"tenant partitions: +{add} -{remove}")
    return dg.SensorResult(dynamic_partitions_requests=requests, cursor=cursor)
