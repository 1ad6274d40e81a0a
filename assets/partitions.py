"""The tenant partitions every per-tenant asset shares; kept in step by sensors/tenants.py."""

import dagster as dg
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    PARTITION_NAME_TAG,
)

TENANTS = "tenants"
tenant_partitions = dg.DynamicPartitionsDefinition(name=TENANTS)


def partition_tags(keys: list[str]) -> dict[str, str]:
    """Run tags for one tenant, or for a range covering several in partition order."""
    if len(keys) == 1:
        return {PARTITION_NAME_TAG: keys[0]}
    return {ASSET_PARTITION_RANGE_START_TAG: keys[0], ASSET_PARTITION_RANGE_END_TAG: keys[-1]}
