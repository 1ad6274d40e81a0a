"""`steward tenant`: add, change, list, enable, disable and remove tenants."""

from __future__ import annotations

import json
from typing import Any

import typer

from agent.settings import TenantSettings
from pipelines import resources
from pipelines.cli.common import CliError, actor, out, pairs, ready_database
from pipelines.instance import get_instance
from resources.database import Tenant
from resources.store import tenants as registry
from sensors.tenants import sync_partitions
from services.killswitch import announce

app = typer.Typer(no_args_is_help=True, help="Tenants (one Dagster partition each).")

MAILBOX = typer.Option(
    None, "--mailbox", help="maildir:///path, imaps://user@host/INBOX, gmail://..."
)
SEND_MODE = typer.Option(None, "--send-mode", help="dry_run | internal_only | limited_live")
ALLOWLIST = typer.Option(None, "--allowlist", help="Comma-separated addresses or domains.")
OWN = typer.Option(None, "--own-addresses", help="Comma-separated addresses/domains that are us.")
CAP = typer.Option(None, "--cap", help="NAME=N, e.g. emails_per_day=50 (repeatable).")
THRESHOLD = typer.Option(None, "--threshold", help="NAME=VALUE, e.g. engagement_days=21.")
ALERT = typer.Option(None, "--alert-email", help="Where this tenant's alerts are mailed.")
DOCS = typer.Option(None, "--documents-dir", help="Folder of this tenant's uploaded documents.")
FROM = typer.Option(None, "--from-address", help="Sender address of this tenant's mail.")
WEBHOOK = typer.Option(None, "--alert-webhook", help="Slack-compatible URL for alerts.")
GOAL = typer.Option(None, "--goal", help="NAME=VALUE, e.g. orders_per_month=60 (repeatable).")
PROVIDER = typer.Option(
    None, "--provider", help="KIND=file|URL, e.g. social_post=https://hooks.example/x (repeatable)."
)
APPROVAL = typer.Option(
    None, "--approval", help="KIND=auto|approval, e.g. send_email=auto (repeatable)."
)


def settings_patch(
    mailbox: str | None,
    send_mode: str | None,
    allowlist: str | None,
    own: str | None,
    caps: list[str] | None,
    thresholds: list[str] | None,
    alert_email: str | None,
    documents_dir: str | None,
    from_address: str | None = None,
    alert_webhook: str | None = None,
    approvals: list[str] | None = None,
    goals: list[str] | None = None,
    providers: list[str] | None = None,
) -> dict[str, Any]:
    patch: dict[str, Any] = {}
    for key, value in (
        ("mailbox", mailbox),
        ("send_mode", send_mode),
        ("alert_email", alert_email),
        ("documents_dir", documents_dir),
        ("from_address", from_address),
        ("alert_webhook", alert_webhook),
    ):
        if value is not None:
            patch[key] = value
    if allowlist is not None:
        patch["allowlist"] = [a for a in allowlist.split(",") if a.strip()]
    if own is not None:
        patch["own_addresses"] = [a for a in own.split(",") if a.strip()]
    if caps:
        patch["caps"] = _stripped(pairs(caps, "--cap"))
    if thresholds:
        patch["thresholds"] = _stripped(pairs(thresholds, "--threshold"))
    if approvals:
        patch["approvals"] = _stripped(pairs(approvals, "--approval"))
    if goals:
        patch["goals"] = _stripped(pairs(goals, "--goal"))
    if providers:
        patch["providers"] = _stripped(pairs(providers, "--provider"))
    return patch


def _stripped(values: dict[str, str]) -> dict[str, str]:
    return {name: value.strip() for name, value in values.items()}


def _sync_partitions() -> None:
    sync_partitions(get_instance(), [t.slug for t in ready_database().tenants()])


def _line(t: Tenant) -> str:
    return "\t".join(
        [
            t.slug,
            "enabled" if t.agent_enabled else "disabled",
            t.settings.send_mode,
            t.timezone,
            t.settings.mailbox or "-",
            t.name,
        ]
    )


@app.command()
def add(
    slug: str,
    name: str = typer.Option(None, help="Display name (default: the slug)."),
    timezone: str = typer.Option("UTC", help="IANA timezone, e.g. America/Chicago."),
    disabled: bool = typer.Option(False, "--disabled", help="Create with the agent switched off."),
    mailbox: str = MAILBOX,
    send_mode: str = SEND_MODE,
    allowlist: str = ALLOWLIST,
    own_addresses: str = OWN,
    cap: list[str] = CAP,
    threshold: list[str] = THRESHOLD,
    alert_email: str = ALERT,
    documents_dir: str = DOCS,
    from_address: str = FROM,
    alert_webhook: str = WEBHOOK,
    approval: list[str] = APPROVAL,
    goal: list[str] = GOAL,
    provider: list[str] = PROVIDER,
) -> None:
    """Add a tenant; settings are validated before anything is saved."""
    patch = settings_patch(
        mailbox,
        send_mode,
        allowlist,
        own_addresses,
        cap,
        threshold,
        alert_email,
        documents_dir,
        from_address,
        alert_webhook,
        approval,
        goal,
        provider,
    )
    tenant = registry.add_tenant(
        ready_database(),
        slug,
        name=name,
        timezone=timezone,
        settings=TenantSettings.model_validate(patch),
        agent_enabled=not disabled,
    )
    _sync_partitions()
    out.print(_line(tenant), highlight=False)


@app.command()
def update(
    slug: str,
    name: str = typer.Option(None),
    timezone: str = typer.Option(None),
    mailbox: str = MAILBOX,
    send_mode: str = SEND_MODE,
    allowlist: str = ALLOWLIST,
    own_addresses: str = OWN,
    cap: list[str] = CAP,
    threshold: list[str] = THRESHOLD,
    alert_email: str = ALERT,
    documents_dir: str = DOCS,
    from_address: str = FROM,
    alert_webhook: str = WEBHOOK,
    approval: list[str] = APPROVAL,
    goal: list[str] = GOAL,
    provider: list[str] = PROVIDER,
) -> None:
    """Change a tenant's name, timezone or settings; unnamed settings keep their values."""
    patch = settings_patch(
        mailbox,
        send_mode,
        allowlist,
        own_addresses,
        cap,
        threshold,
        alert_email,
        documents_dir,
        from_address,
        alert_webhook,
        approval,
        goal,
        provider,
    )
    tenant = registry.update_tenant(
        ready_database(), slug, name=name, timezone=timezone, settings_patch=patch
    )
    out.print(_line(tenant), highlight=False)


@app.command("list")
def list_(as_json: bool = typer.Option(False, "--json", help="One JSON object per line.")) -> None:
    """One tenant a line, slug first: slug, status, send mode, timezone, mailbox, name."""
    for t in ready_database().tenants():
        if as_json:
            print(
                json.dumps(
                    {
                        "slug": t.slug,
                        "name": t.name,
                        "timezone": t.timezone,
                        "agent_enabled": t.agent_enabled,
                        "settings": t.settings.model_dump(mode="json"),
                    }
                )
            )
        else:
            print(_line(t))


@app.command()
def show(slug: str) -> None:
    """A tenant's full settings as JSON."""
    t = registry.get_tenant(ready_database(), slug)
    print(
        json.dumps(
            {
                "slug": t.slug,
                "name": t.name,
                "timezone": t.timezone,
                "agent_enabled": t.agent_enabled,
                "settings": t.settings.model_dump(mode="json"),
            },
            indent=2,
        )
    )


@app.command()
def disable(slug: str) -> None:
    """Switch the agent off for one tenant (its per-tenant kill switch)."""
    db = ready_database()
    tenant = registry.set_enabled(db, slug, False)
    announce(db, resources.alerts, f"agent disabled for tenant {slug} by {actor()}", [slug])
    out.print(_line(tenant), highlight=False)


@app.command()
def enable(slug: str) -> None:
    """Switch the agent back on for one tenant."""
    out.print(_line(registry.set_enabled(ready_database(), slug, True)), highlight=False)


@app.command()
def remove(
    slug: str, yes: bool = typer.Option(False, "--yes", help="Confirm the deletion.")
) -> None:
    """Delete a tenant and all of its rows, and its Dagster partition."""
    if not yes:
        raise CliError(f"removing {slug!r} deletes all of its data; repeat with --yes")
    registry.remove_tenant(ready_database(), slug)
    _sync_partitions()
    out.print(f"removed {slug}")
