"""`steward db`: migrations and the PostgreSQL runtime role."""

from __future__ import annotations

import os

import typer

import migrations
from pipelines.cli.common import CliError, database, out
from resources.database import Database
from resources.database.roles import ensure_app_role

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


def admin_database() -> Database:
    return Database(url=os.environ.get("STEWARD_DATABASE_ADMIN_URL", ""))
