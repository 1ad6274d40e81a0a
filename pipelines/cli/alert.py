"""`steward alert list|ack|resolve`: the alerts a person was told about, and what they decided.

An alert otherwise reaches a person only as a log line, a mail or a webhook post. Here it can be
listed, acknowledged (seen and being handled: it keeps counting its occurrences but stops
notifying) or resolved (closed: its next occurrence is a new alert and notifies again). Both
record who (`--by`, default the CLI's actor) and when.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import typer

from pipelines.cli.common import CliError, actor, out, ready_database, utc_minute
from resources.database.clock import aware
from resources.store import alerts as store
from services.alerts import tenant_of_alert

app = typer.Typer(no_args_is_help=True, help="Alerts: list, acknowledge, resolve.")

HEADER = (
    "id",
    "tenant",
    "rule",
    "severity",
    "status",
    "occurrences",
    "first_seen",
    "last_seen",
    "by",
    "title",
)


@app.command("list")
def list_alerts(
    tenant: str = typer.Option(None, "--tenant", help="Default: every tenant."),
    status: str = typer.Option(None, "--status", help=", ".join(store.STATUSES)),
    all_statuses: bool = typer.Option(False, "--all-statuses", help="Resolved ones too."),
    limit: int = typer.Option(50, "--limit"),
) -> None:
    """Alerts still open or acknowledged (unless --status or --all-statuses), the most recently
    seen first, one tab-separated line each; `by` is who acknowledged or resolved it."""
    if status and all_statuses:
        raise CliError("choose --status or --all-statuses")
    if status and status not in store.STATUSES:
        raise CliError(f"unknown status {status!r}: choose one of {', '.join(store.STATUSES)}")
    statuses = (status,) if status else store.STATUSES if all_statuses else store.ACTIVE
    db = ready_database()
    slugs = [tenant] if tenant else [t.slug for t in db.tenants()]
    found: list[tuple[str, dict[str, Any]]] = []
    for slug in slugs:
        with db.for_tenant(slug) as scope:
            found += [(slug, row) for row in store.listing(scope, statuses, limit)]
    found.sort(key=lambda f: (aware(f[1]["last_seen_at"]), f[1]["id"]), reverse=True)
    print("\t".join(HEADER))
    for slug, r in found[:limit]:
        fields = (
            str(r["id"]),
            slug,
            r["rule"],
            r["severity"],
            r["status"],
            str(r["occurrences"]),
            utc_minute(r["first_seen_at"]),
            utc_minute(r["last_seen_at"]),
            r["resolved_by"] or r["acknowledged_by"] or "-",
            r["title"],
        )
        print("\t".join(fields))


@app.command("ack")
def ack(
    alert_id: int = typer.Argument(..., metavar="ID"),
    by: str = typer.Option(None, "--by", help="Who is handling it (default: you)."),
    tenant: str = typer.Option(None, "--tenant", help="Default: the tenant owning the alert."),
) -> None:
    """Acknowledge an open alert: it keeps counting occurrences but notifies nobody again until
    it is resolved."""
    db = ready_database()
    slug = tenant or tenant_of_alert(db, alert_id)
    with db.for_tenant(slug) as scope:
        row, changed = store.acknowledge(scope, alert_id, by or actor(), datetime.now(UTC))
    already = "" if changed else " already"
    out.print(
        f"alert {alert_id}{already} acknowledged by {row['acknowledged_by']} at "
        f"{utc_minute(row['acknowledged_at'])}: {row['title']} (no more notifications; "
        f"`steward alert resolve {alert_id}` closes it)",
        highlight=False,
    )


@app.command("resolve")
def resolve(
    alert_id: int = typer.Argument(..., metavar="ID"),
    by: str = typer.Option(None, "--by", help="Who closed it (default: you)."),
    tenant: str = typer.Option(None, "--tenant", help="Default: the tenant owning the alert."),
) -> None:
    """Close an alert; if the condition happens again it opens a new alert, which notifies."""
    db = ready_database()
    slug = tenant or tenant_of_alert(db, alert_id)
    with db.for_tenant(slug) as scope:
        row = store.close(scope, alert_id, by or actor(), datetime.now(UTC))
    out.print(
        f"alert {alert_id} resolved by {row['resolved_by']} at {utc_minute(row['resolved_at'])}: "
        f"{row['title']}",
        highlight=False,
    )
