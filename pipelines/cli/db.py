"""`steward db`: migrations and the PostgreSQL runtime role."""

from __future__ import annotations

import os

import typer

import migrations
from pipelines.cli.common import CliError, database, out
from resources.database import Database
from resources.database.roles import ensure_analyst_role, ensure_app_role
from resources.store.schema import ANALYST_TABLES, ANALYTICS_VIEWS

app = typer.Typer(no_args_is_help=True, help="Database schema and roles.")


@app.command()
def upgrade() -> None:
    """Bring the schema to the newest migration (STEWARD_DATABASE_ADMIN_URL if set, as owner)."""
    db = admin_database()
    db.upgrade()
    out.print(f"database at revision {migrations.head_revision()}")


@app.command()
def current() -> None:
    """Print the schema revision of the database and the one this code needs."""
    revision = database().schema_revision()
    out.print(f"current {revision or 'none'}  head {migrations.head_revision()}")


@app.command("create-app-role")
def create_app_role(
    role: str = typer.Argument("steward_app", help="Role the application connects as."),
    password_env: str = typer.Option(
        "", help="Environment variable holding the role's password (none: trust/peer auth)."
    ),
) -> None:
    """Create (or refresh) the plain role row-level security binds, with table privileges."""
    db = admin_database()
    if not db.is_postgres:
        raise CliError("roles exist only on PostgreSQL; SQLite scopes tenants by query")
    password = os.environ.get(password_env) if password_env else None
    ensure_app_role(db.engine, role, password)
    out.print(f"role {role} ready: it is bound by row-level security")


@app.command("create-analyst-role")
def create_analyst_role(
    role: str = typer.Argument(..., help="Login role the analyst connects as."),
    tenant: list[str] = typer.Option(None, "--tenant", help="Tenant slug (repeatable)."),
    all_tenants: bool = typer.Option(False, "--all", help="Every tenant, also later ones."),
    password_env: str = typer.Option(
        "", help="Environment variable holding the role's password (none: trust/peer auth)."
    ),
) -> None:
    """A read-only role for the `analytics` schema, limited to some tenants or all of them
    (row-level security); run it again to change its tenants or after an upgrade."""
    db = admin_database()
    if not db.is_postgres:
        raise CliError("roles exist only on PostgreSQL; on SQLite read the analytics tables "
                       "or the Parquet exports (`steward warehouse export`)")
    if bool(tenant) == all_tenants:
        raise CliError("give --tenant SLUG (one or more) or --all")
    db.require_current_schema()
    known = {t.slug: t.id for t in db.tenants()}
    unknown = [s for s in tenant or [] if s not in known]
    if unknown:
        raise CliError(f"unknown tenant {unknown[0]!r} (see `steward tenant list`)")
    password = os.environ.get(password_env) if password_env else None
    ids = None if all_tenants else [known[s] for s in tenant]
    ensure_analyst_role(db.engine, role, ids, list(ANALYST_TABLES), list(ANALYTICS_VIEWS),
                        password)
    reach = "every tenant" if all_tenants else ", ".join(tenant)
    out.print(f"role {role} reads the analytics schema for {reach}, read-only")


def admin_database() -> Database:
    return Database(url=os.environ.get("STEWARD_DATABASE_ADMIN_URL", ""))
