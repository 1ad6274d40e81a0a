"""`steward suppression list|remove`: the addresses Steward will not mail, and undoing one.

A suppression comes from a hard bounce, an unsubscribe or a complaint, and the gate blocks every
mail to it. A person who knows better (the address was fixed, the opt-out was a mistake) can
lift it; the reason and who gave it are kept in the warehouse (`suppression_lifted`).
"""

from __future__ import annotations

from datetime import UTC, datetime

import typer

from pipelines.cli.common import CliError, actor, out, ready_database, utc_minute
from resources.store import suppressions as store

app = typer.Typer(no_args_is_help=True, help="Suppressed addresses: list, remove.")


@app.command("list")
def list_suppressions(
    tenant: str = typer.Option(..., "--tenant"),
    reason: str = typer.Option(
        None, "--reason", help="Only this reason, e.g. bounce:user_unknown, unsubscribe."
    ),
    limit: int = typer.Option(100, "--limit"),
) -> None:
    """The tenant's suppressed addresses, newest first: address, reason, since, detail."""
    with ready_database().for_tenant(tenant) as scope:
        rows = store.listing(scope, reason, limit)
    print("\t".join(("email", "reason", "since", "message", "detail")))
    for r in rows:
        detail = " ".join((r["detail"] or "-").split())[:120]
        message = str(r["message_id"]) if r["message_id"] else "-"
        print("\t".join((r["email"], r["reason"], utc_minute(r["created_at"]), message, detail)))
    if not rows:
        out.print(f"{tenant}: no suppressed addresses", highlight=False)


@app.command("remove")
def remove(
    email: str = typer.Argument(..., help="The suppressed address."),
    tenant: str = typer.Option(..., "--tenant"),
    reason: str = typer.Option("", "--reason", help="Why it may be mailed again (required)."),
    by: str = typer.Option(None, "--by", help="Who decides; default: the CLI's actor."),
) -> None:
    """Lift a suppression so the address may be mailed again; the reason is kept."""
    if not reason.strip():
        raise CliError("removing a suppression needs a reason (--reason)")
    with ready_database().for_tenant(tenant) as scope:
        try:
            lifted = store.lift(scope, email, by or actor(), reason.strip(), datetime.now(UTC))
        except LookupError as exc:
            raise CliError(str(exc)) from None
    print(f"{lifted['email']}: suppression ({lifted['reason']}) removed by {by or actor()}")
