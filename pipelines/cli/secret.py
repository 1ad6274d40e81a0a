"""`steward secret set|list|rotate|revoke|audit`: a tenant's secrets in the encrypted store.

Values are read from standard input or a hidden prompt, never from the command line (a
shell's history and the process list would keep them); nothing prints a value.
"""

from __future__ import annotations

from datetime import UTC, datetime

import typer
from rich.table import Table

from pipelines.cli.common import CliError, actor, out, ready_database
from pipelines.resources import mailboxes
from resources.secrets import SecretsError, secrets_store
from resources.store import secret_audit
from resources.store.tenants import get_tenant
from services import secrets

app = typer.Typer(no_args_is_help=True,
                  help="Tenant secrets: set, list, rotate, revoke, audit (values never shown).")
TENANT = typer.Option(..., "--tenant")


def _value(name: str) -> str:
    value = typer.prompt(f"value of {name}", hide_input=True).strip()
    if not value:
        raise CliError(f"no value given for {name}")
    return value


@app.command("set")
def set_(name: str = typer.Argument(...), tenant: str = TENANT) -> None:
    """Store a new current version of NAME (read from stdin or a hidden prompt)."""
    db = ready_database()
    get_tenant(db, tenant)
    try:
        version = secrets.set_secret(db, tenant, name, _value(name), actor(),
                                     datetime.now(UTC))
    except SecretsError as exc:
        raise CliError(f"tenant {tenant}: {exc}") from None
    out.print(f"{tenant}: {name} version {version} is current")


@app.command("list")
def list_(tenant: str = TENANT) -> None:
    """Names, versions, status and last use; never values."""
    db = ready_database()
    get_tenant(db, tenant)
    try:
        found = secrets_store().listing(tenant)
    except SecretsError as exc:
        raise CliError(f"tenant {tenant}: {exc}") from None
    with db.for_tenant(tenant) as scope:
        used = secret_audit.last_uses(scope)
    if not found:
        out.print(f"{tenant}: no secrets in the store")
        return
    table = Table("name", "version", "status", "created", "last used")
    for s in found:
        last = used.get(s.name)
        table.add_row(s.name, str(s.version), s.status, s.created_at[:16].replace("T", " "),
                      f"{last:%Y-%m-%d %H:%M}" if last else "never")
    out.print(table)


@app.command()
def rotate(name: str = typer.Argument(...), tenant: str = TENANT) -> None:
    """Write a new version, check it (a mailbox login or a token refresh), then retire the old."""
    db = ready_database()
    get_tenant(db, tenant)
    try:
        version, problem = secrets.rotate(db, mailboxes, tenant, name, _value(name), actor(),
                                          datetime.now(UTC))
    except SecretsError as exc:
        raise CliError(f"tenant {tenant}: {exc}") from None
    if problem:
        raise CliError(f"{tenant}: {name} version {version} failed its check and is not used "
                       f"(the previous version stays): {problem}")
    out.print(f"{tenant}: {name} version {version} checked and current; the old one retired")


@app.command()
def revoke(name: str = typer.Argument(...), tenant: str = TENANT) -> None:
    """Revoke every version of NAME: nothing uses it, from the store or elsewhere."""
    db = ready_database()
    get_tenant(db, tenant)
    try:
        versions = secrets.revoke(db, tenant, name, actor(), datetime.now(UTC))
    except SecretsError as exc:
        raise CliError(str(exc)) from None
    out.print(f"{tenant}: {name} revoked ({versions} version(s))")


@app.command()
def audit(tenant: str = TENANT, secret: str = typer.Option(None, "--secret"),
          limit: int = typer.Option(50, "--limit")) -> None:
    """Every use and change, newest first: when, secret, version, action, purpose, outcome."""
    db = ready_database()
    get_tenant(db, tenant)
    with db.for_tenant(tenant) as scope:
        rows = secret_audit.listing(scope, secret, limit)
    for r in rows:
        print("\t".join([f"{r['at']:%Y-%m-%d %H:%M:%S}", r["secret"], str(r["version"] or "-"),
                         r["action"], r["purpose"], "ok" if r["ok"] else "failed",
                         r["by_whom"] or r["dagster_run_id"] or "-", r["detail"] or ""]))
