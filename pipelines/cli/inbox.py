"""`steward inbox`: what each tenant's mailbox connection looks like right now, and `connect`,
which keeps a tenant's OAuth grant (Google or Microsoft 365) so its mailbox keeps syncing."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import typer

from pipelines.cli.common import CliError, actor, out, ready_database
from resources.mailbox.base import MailboxError
from resources.mailbox.consent import (
    AUTHORIZE_URLS,
    DEVICE_URLS,
    device_flow,
    loopback_flow,
)
from resources.mailbox.credentials import TOKEN_URL_VAR
from resources.mailbox.oauth import TOKEN_URLS, TokenSource
from resources.secrets import secrets_store
from resources.store import secret_audit
from resources.store.delivery_feedback import summary
from resources.store.mailbox_state import load_state
from resources.store.tenants import get_tenant

app = typer.Typer(no_args_is_help=True, help="Mailbox connections and ingest state.")
DEVICE_URL_VAR = "STEWARD_OAUTH_DEVICE_URL"  # other endpoints, as STEWARD_OAUTH_TOKEN_URL
AUTHORIZE_URL_VAR = "STEWARD_OAUTH_AUTHORIZE_URL"


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


@app.command()
def connect(
    tenant: str = typer.Argument(..., help="Tenant slug."),
    provider: str = typer.Option(..., "--provider", help="google or microsoft."),
    client_id: str = typer.Option(..., "--client-id", help="The OAuth client's id (not secret)."),
    flow: str = typer.Option("import", "--flow", help="import (paste a refresh token), device "
                             "(a code to enter on any device: Microsoft) or browser (a local "
                             "redirect: Google, Microsoft)."),
    token_url: str = typer.Option("", "--token-url", help="Token endpoint (default: the "
                                  f"provider's, or {TOKEN_URL_VAR})."),
) -> None:
    """Give the tenant's mailbox an OAuth grant (README: connecting Gmail and Microsoft 365).
    The client secret (and, to import, the refresh token) are read from standard input or a
    hidden prompt, never from the command line; one token refresh proves the grant before it
    is kept in the secrets store."""
    db = ready_database()
    get_tenant(db, tenant)
    if provider not in TOKEN_URLS:
        raise CliError(f"unknown provider {provider!r}: choose one of {', '.join(TOKEN_URLS)}")
    if flow not in ("import", "device", "browser"):
        raise CliError(f"unknown flow {flow!r}: choose import, device or browser")
    if flow == "device" and provider not in DEVICE_URLS and not os.environ.get(DEVICE_URL_VAR):
        raise CliError(f"{provider} allows no mailbox scopes on its device flow: use "
                       "--flow browser")
    secret = typer.prompt("client secret", hide_input=True).strip()
    if not secret:
        raise CliError("the client secret is needed")
    url = token_url or os.environ.get(TOKEN_URL_VAR, "") or TOKEN_URLS[provider]
    try:
        refresh = _refresh_token(flow, provider, client_id, secret, url)
        grant = TokenSource(tenant, provider, client_id, secret, refresh, token_url=url)
        grant.access_token(force=True)
    except MailboxError as exc:
        raise CliError(f"not kept: {exc}") from None
    values = {"oauth_provider": provider, "oauth_client_id": client_id,
              "oauth_client_secret": secret, "oauth_refresh_token": grant.refresh_token}
    if token_url:
        values["oauth_token_url"] = token_url
    store, now = secrets_store(), datetime.now(UTC)
    with db.for_tenant(tenant) as scope:
        for name, value in values.items():
            version = store.put(tenant, name, value, now)
            secret_audit.record(scope, name, version, "set", f"inbox connect ({flow})", True,
                                now, by=actor())
    out.print(f"{tenant}: {provider} grant checked (an access token was issued) and kept in "
              f"the secrets store {store.path}; the next ingest uses it")


def _refresh_token(flow: str, provider: str, client_id: str, secret: str, token_url: str
                   ) -> str:
    if flow == "import":
        refresh = typer.prompt("refresh token", hide_input=True).strip()
        if not refresh:
            raise CliError("the refresh token is needed")
        return refresh
    if flow == "device":
        device_url = os.environ.get(DEVICE_URL_VAR) or DEVICE_URLS[provider]
        return device_flow(provider, client_id, secret, token_url, device_url, out.print)
    authorize_url = os.environ.get(AUTHORIZE_URL_VAR) or AUTHORIZE_URLS[provider]
    return loopback_flow(provider, client_id, secret, token_url, authorize_url, out.print)


def _counts(by_reason: dict[str, int]) -> str:
    return ", ".join(f"{reason} {n}" for reason, n in by_reason.items()) or "none"


def _when(value: object) -> str:
    return f"{value:%Y-%m-%dT%H:%M}" if value else "-"
