"""The tenant partitions every per-tenant asset shares; kept in step by sensors/tenants.py."""

import dagster as dg

TENANTS = "tenants"
tenant_partitions = dg.DynamicPartitionsDefinition(name=TENANTS)
