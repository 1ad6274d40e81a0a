"""The PostgreSQL role the application runs as: a plain login role, so row-level security binds it.

Superusers and roles with BYPASSRLS ignore RLS, and table owners do too unless FORCE is set;
the migrations set FORCE, and this role owns nothing, is no superuser and has no BYPASSRLS.
"""

from __future__ import annotations

import re

import sqlalchemy as sa

ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def ensure_app_role(engine: sa.Engine, role: str, password: str | None = None) -> None:
    if not ROLE_NAME.match(role):
        raise ValueError(f"invalid role name {role!r}: lowercase letters, digits and _")
    with engine.begin() as conn:
        exists = conn.execute(
            sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}
        ).first()
        verb = "ALTER" if exists else "CREATE"
        conn.execute(sa.text(f'{verb} ROLE "{role}" LOGIN NOSUPERUSER NOBYPASSRLS'))
        if password:
            quoted = "'" + password.replace("'", "''") + "'"
            conn.execute(sa.text(f'ALTER ROLE "{role}" PASSWORD {quoted}'))
        for statement in grants(role):
            conn.execute(sa.text(statement))


def grants(role: str) -> list[str]:
    """The application's rights in its own schema and in the warehouse's `analytics` schema,
    which the daily fact build writes."""
    tables = "SELECT, INSERT, UPDATE, DELETE"
    return [
        statement
        for schema in ("public", "analytics")
        for statement in (
            f'GRANT USAGE ON SCHEMA {schema} TO "{role}"',
            f'GRANT {tables} ON ALL TABLES IN SCHEMA {schema} TO "{role}"',
            f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO "{role}"',
            f'ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT {tables} ON TABLES TO "{role}"',
            f'ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} '
            f'GRANT USAGE, SELECT ON SEQUENCES TO "{role}"',
        )
    ]


ANALYSTS = "steward_analysts"
ACCESS = "analytics_access.analyst_access"


def ensure_analyst_role(engine: sa.Engine, role: str, tenant_ids: list[int] | None,
                        tables: list[str], views: list[str],
                        password: str | None = None) -> None:
    """A read-only login role for the warehouse: SELECT on the `analytics` tables named, for the
    tenants given (None: every tenant, also those added later), nothing in the application's
    own schema. Re-running it replaces the role's tenants and grants the tables added since.

    Row-level security does the tenant part: the analysts' group role gets a restrictive policy
    on every analytics table that admits only rows of the tenants in the access table, read by
    a SECURITY DEFINER function (the analyst cannot read or change the access table). Being
    restrictive, it also holds when an analyst sets the application's tenant setting."""
    if not ROLE_NAME.match(role):
        raise ValueError(f"invalid role name {role!r}: lowercase letters, digits and _")
    with engine.begin() as conn:
        for statement in _analyst_setup(tables, views):
            conn.execute(sa.text(statement))
        exists = conn.execute(
            sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first()
        verb = "ALTER" if exists else "CREATE"
        conn.execute(sa.text(
            f'{verb} ROLE "{role}" LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE'))
        if password:
            quoted = "'" + password.replace("'", "''") + "'"
            conn.execute(sa.text(f'ALTER ROLE "{role}" PASSWORD {quoted}'))
        conn.execute(sa.text(f'GRANT {ANALYSTS} TO "{role}"'))
        conn.execute(sa.text(f"DELETE FROM {ACCESS} WHERE role_name = :r"), {"r": role})
        for tenant_id in tenant_ids if tenant_ids is not None else [None]:
            conn.execute(sa.text(f"INSERT INTO {ACCESS} (role_name, tenant_id) VALUES (:r, :t)"),
                         {"r": role, "t": tenant_id})


def _analyst_setup(tables: list[str], views: list[str]) -> list[str]:
    granted = "tenant_id IN (SELECT analytics.analyst_tenants())"
    statements = [
        f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{ANALYSTS}') "
        f"THEN CREATE ROLE {ANALYSTS} NOLOGIN; END IF; END $$",
        "CREATE SCHEMA IF NOT EXISTS analytics_access",
        "REVOKE ALL ON SCHEMA analytics_access FROM PUBLIC",
        f"CREATE TABLE IF NOT EXISTS {ACCESS} (role_name text NOT NULL, "
        "tenant_id bigint REFERENCES public.tenants (id) ON DELETE CASCADE)",
        "CREATE OR REPLACE FUNCTION analytics.analyst_tenants() RETURNS SETOF bigint "
        "LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$ "
        "SELECT t.id FROM public.tenants t WHERE EXISTS (SELECT 1 FROM "
        f"{ACCESS} a WHERE a.role_name = session_user "
        "AND (a.tenant_id IS NULL OR a.tenant_id = t.id)) $$",
        "REVOKE ALL ON FUNCTION analytics.analyst_tenants() FROM PUBLIC",
        f"GRANT EXECUTE ON FUNCTION analytics.analyst_tenants() TO {ANALYSTS}",
        "CREATE OR REPLACE VIEW analytics.tenants WITH (security_barrier) AS "
        "SELECT id, slug, name, timezone FROM public.tenants "
        "WHERE id IN (SELECT analytics.analyst_tenants())",
        f"GRANT USAGE ON SCHEMA analytics TO {ANALYSTS}",
        f"GRANT SELECT ON analytics.tenants TO {ANALYSTS}",
    ]
    statements += [f"GRANT SELECT ON analytics.{view} TO {ANALYSTS}" for view in views]
    for table in tables:
        statements += [
            f"GRANT SELECT ON analytics.{table} TO {ANALYSTS}",
            f"DROP POLICY IF EXISTS analyst_read ON analytics.{table}",
            f"CREATE POLICY analyst_read ON analytics.{table} FOR SELECT TO {ANALYSTS} "
            f"USING ({granted})",
            f"DROP POLICY IF EXISTS analyst_only_granted ON analytics.{table}",
            f"CREATE POLICY analyst_only_granted ON analytics.{table} AS RESTRICTIVE "
            f"TO {ANALYSTS} USING ({granted})",
        ]
    return statements
