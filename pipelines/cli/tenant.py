"""`steward tenant`: add, change, list, enable, disable and remove tenants."""

from __future__ import annotations

import json
from typing import Any

import typer

from agent.settings import TenantSettings
from pipelines import resources
from pipelines.cli.common import CliError, actor, out, ready_database
from pipelines.cli.tenant_options import with_setting_options
from pipelines.instance import get_instance
from resources.database import Tenant
from resources.store import tenants as registry
from sensors.tenants import sync_partitions
from services.killswitch import announce

app = typer.Typer(no_args_is_help=True, help="Tenants (one Dagster partition each).")


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
@with_setting_options
def add(
    slug: str,
    name: str = typer.Option(None, help="Display name (default: the slug)."),
    timezone: str = typer.Option("UTC", help="IANA timezone, e.g. America/Chicago."),
    disabled: bool = typer.Option(False, "--disabled", help="Create with the agent switched off."),
    *,
    patch: dict[str, Any],
) -> None:
    """Add a tenant; settings are validated before anything is saved."""
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
@with_setting_options
def update(
    slug: str,
    name: str = typer.Option(None),
    timezone: str = typer.Option(None),
    *,
    patch: dict[str, Any],
) -> None:
    """Change a tenant's name, timezone or settings; unnamed settings keep their values."""
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
