"""`steward inbox`: what each tenant's mailbox connection looks like right now."""

from __future__ import annotations

import typer

from pipelines.cli.common import ready_database
from resources.store.mailbox_state import load_state

app = typer.Typer(no_args_is_help=True, help="Mailbox connections and ingest state.")


@app.command()
def status() -> None:
    """Per tenant: slug, status, failures in a row, messages, last mail, last check, detail."""
    db = ready_database()
    for tenant in db.tenants():
        url = tenant.settings.mailbox
        if not url:
            print(f"{tenant.slug}\tno_mailbox\t0\t0\t-\t-\t-")
            continue
        with db.for_tenant(tenant.slug) as scope:
            state = load_state(scope, url) or {}
        print("\t".join([
            tenant.slug, state.get("status", "never_checked"),
            str(state.get("consecutive_failures", 0)), str(state.get("messages_total", 0)),
            _when(state.get("last_message_at")), _when(state.get("checked_at")),
            state.get("detail") or "-",
        ]))


def _when(value: object) -> str:
    return f"{value:%Y-%m-%dT%H:%M}" if value else "-"
