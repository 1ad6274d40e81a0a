"""Row-level security for tenant-owned tables on PostgreSQL (a no-op elsewhere).

The policy compares each row's tenant_id with the transaction setting `steward.tenant_id`, which
`Database.for_tenant` sets. FORCE makes it bind the table owner too; superusers and roles with
BYPASSRLS are never bound, so the application must run as a plain role (see README).
A row with no tenant (a global alert) is visible only when no tenant is set.
"""

from __future__ import annotations

from alembic import op

POLICY = "tenant_isolation"
PREDICATE = (
    "tenant_id IS NOT DISTINCT FROM NULLIF(current_setting('steward.tenant_id', true), '')::bigint"
)


def enable(*tables: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in tables:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY {POLICY} ON {table} USING ({PREDICATE}) WITH CHECK ({PREDICATE})"
        )


def disable(*tables: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in tables:
        op.execute(f"DROP POLICY IF EXISTS {POLICY} ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
