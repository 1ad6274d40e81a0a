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
