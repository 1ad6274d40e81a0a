"""Row-level security for the warehouse's tables on PostgreSQL (migrations 0016 and later).

The daily build reads and writes them across tenants (`steward.all_tenants`), so the policy
also admits every row when that is on: a sub-select evaluated once per statement, which leaves
a build's day range to its own index (a list of every tenant's id made the planner scan the
tenant index over the whole history). A tenant's own queries name their tenant_id, which keeps
them on the tenant indexes. The policy reads no table, so a role with no rights on `tenants`
(an analyst) can be bound by it; the analysts' restrictive policy bounds them whatever they set.
"""

from __future__ import annotations

from alembic import op

POLICY = "tenant_isolation"
PREDICATE = (  # the all-tenants flag first: OR stops there, per row, in a build
    "((SELECT current_setting('steward.all_tenants', true) = 'on') "
    "OR tenant_id = NULLIF(current_setting('steward.tenant_id', true), '')::bigint)"
)


def secure(tables: list[str]) -> None:
    for table in tables:
        op.execute(f"DROP POLICY IF EXISTS {POLICY} ON {table}")
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY {POLICY} ON {table} USING ({PREDICATE}) "
                   f"WITH CHECK ({PREDICATE})")
