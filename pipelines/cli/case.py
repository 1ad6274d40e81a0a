"""`steward case list|show|assign|close`: service-recovery cases and a person's hand on them.

Negative feedback opens a case (with a task for a person and an alert); while it is open no
further feedback is asked of the order's account. `assign` names who owns it; `close` records
the resolution and who closed it, and resolves the case's alert in that person's name.
"""

from __future__ import annotations

from datetime import UTC, datetime

import typer

from pipelines.cli.common import CliError, actor, out, ready_database, utc_minute
from resources.store import cases as store
from services.cadence.feedback_replies import RECOVERY_CADENCE
from services.cases import STATUSES, alert_key, assign_case, close_case

app = typer.Typer(no_args_is_help=True, help="Service-recovery cases: list, show, assign, close.")


@app.command("list")
def list_cases(
    tenant: str = typer.Option(..., "--tenant"),
    status: str = typer.Option(None, "--status", help=", ".join(STATUSES)),
    limit: int = typer.Option(100, "--limit"),
) -> None:
    """The newest cases first, one tab-separated line each."""
    if status and status not in STATUSES:
        raise CliError(f"unknown status {status!r}: choose one of {', '.join(STATUSES)}")
    with ready_database().for_tenant(tenant) as scope:
        rows = store.listing(scope, status, limit)
    print("\t".join(("id", "status", "source", "order", "account", "contact", "owner", "opened",
                     "closed", "title")))
    for r in rows:
        print("\t".join((
            str(r["id"]), r["status"], r["source"], r["order_number"] or "-",
            r["account_name"] or "-", r["contact_email"] or "-", r["owner"] or "-",
            utc_minute(r["opened_at"]), utc_minute(r["closed_at"]), r["title"],
        )))
    if not rows:
        out.print(f"{tenant}: no cases", highlight=False)


@app.command("show")
def show(
    case_id: int = typer.Argument(..., metavar="ID"),
    tenant: str = typer.Option(..., "--tenant"),
) -> None:
    """One case: what it is about, who owns it, the task a person was given, its alert, and
    how it was resolved."""
    with ready_database().for_tenant(tenant) as scope:
        case = _case(scope, case_id, tenant)
        task = store.task_opened_by(scope, RECOVERY_CADENCE.key(case_id, 1))
        alert = store.alerted(scope, [alert_key(case_id)]).get(alert_key(case_id))
    fields = {
        "title": case["title"], "status": case["status"], "source": case["source"],
        "order": case["order_number"], "account": case["account_name"],
        "contact": case["contact_email"], "owner": case["owner"] or "nobody yet",
        "opened": utc_minute(case["opened_at"]), "detail": case["detail"],
    }
    for name, value in fields.items():
        if value:
            out.print(f"{name}: {value}", highlight=False)
    if task:
        out.print(f"task: {task['id']} ({task['status']}): {task['title']}", highlight=False)
    if alert:
        out.print(f"alert: {alert['id']} ({alert['status']})", highlight=False)
    if case["status"] == "closed":
        out.print(f"closed: {utc_minute(case['closed_at'])} by {case['closed_by']}: "
                  f"{case['resolution']}", highlight=False)


@app.command("assign")
def assign(
    case_id: int = typer.Argument(..., metavar="ID"),
    owner: str = typer.Argument(..., metavar="OWNER", help="Who owns it (a name or address)."),
    tenant: str = typer.Option(..., "--tenant"),
) -> None:
    """Make OWNER the case's owner."""
    with ready_database().for_tenant(tenant) as scope:
        case = assign_case(scope, case_id, owner, datetime.now(UTC))
    print(f"case {case_id}: owned by {case['owner']}")


@app.command("close")
def close(
    case_id: int = typer.Argument(..., metavar="ID"),
    tenant: str = typer.Option(..., "--tenant"),
    resolution: str = typer.Option("", "--resolution", help="How it was resolved (required)."),
    by: str = typer.Option(None, "--by", help="Who closes it; default: the CLI's actor."),
) -> None:
    """Close the case with its resolution; its alert is resolved in the same name."""
    who = by or actor()
    with ready_database().for_tenant(tenant) as scope:
        close_case(scope, case_id, who, resolution, datetime.now(UTC))
    print(f"case {case_id}: closed by {who}")


def _case(scope, case_id: int, tenant: str) -> dict:
    case = store.get(scope, case_id)
    if case is None:
        raise CliError(f"no case {case_id} for tenant {tenant} (see `steward case list`)")
    return case
