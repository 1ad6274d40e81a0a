"""`steward inbox`: what each tenant's mailbox connection looks like right now."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import typer

from pipelines.cli.common import ready_database
from resources.store.delivery_feedback import summary
from resources.store.mailbox_state import load_state

app = typer.Typer(no_args_is_help=True, help="Mailbox connections and ingest state.")


@app.command()
def status(
    days: int = typer.Option(30, "--days", min=1, help="Bounces and complaints of these days."),
) -> None:
    """Per tenant: slug, status, failures in a row, messages, last mail, last check, detail; then
    the bounces and complaints of the last --days by reason, and the suppressions they caused."""
    db = ready_database()
    since = datetime.now(UTC) - timedelta(days=days)
    for tenant in db.tenants():
        url = tenant.settings.mailbox
        with db.for_tenant(tenant.slug) as scope:
            state = (load_state(scope, url) or {}) if url else {}
            feedback = summary(scope, since)
        if not url:
            print(f"{tenant.slug}\tno_mailbox\t0\t0\t-\t-\t-")
        else:
            print("\t".join([
                tenant.slug, state.get("status", "never_checked"),
                str(state.get("consecutive_failures", 0)), str(state.get("messages_total", 0)),
                _when(state.get("last_message_at")), _when(state.get("checked_at")),
                state.get("detail") or "-",
            ]))
        print(f"  bounces and complaints, {days} days: {_counts(feedback['feedback'])}")
        print(f"  suppressed by bounces and complaints: {_counts(feedback['suppressed'])}")


def _counts(by_reason: dict[str, int]) -> str:
    return ", ".join(f"{reason} {n}" for reason, n in by_reason.items()) or "none"


def _when(value: object) -> str:
    return f"{value:%Y-%m-%dT%H:%M}" if value else "-"
