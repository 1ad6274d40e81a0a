"""Reading and setting the kill switches; the decision itself is agent.killswitch.decide."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import sqlalchemy as sa

from agent.killswitch import KillState, decide
from resources.alerts import kill_switch_alert
from resources.database import Database, Tenant
from resources.schema import system_config

KEY = "kill_switch"


def database_flag(db: Database) -> tuple[bool, str | None]:
    with db.system() as sys:
        row = sys.execute(
            sa.select(system_config.c.value, system_config.c.reason).where(
                system_config.c.key == KEY
            )
        ).first()
    if row is None:
        return False, None
    return bool((row.value or {}).get("on")), row.reason


def set_database_flag(db: Database, on: bool, reason: str | None, actor: str) -> None:
    with db.system() as sys:
        sys.execute(sa.delete(system_config).where(system_config.c.key == KEY))
        sys.execute(
            sa.insert(system_config).values(
                key=KEY, value={"on": on}, reason=reason if on else None, updated_by=actor
            )
        )


def kill_state(db: Database, tenant: Tenant | None = None) -> KillState:
    """The switch that stops `tenant` (or everything, without one), checked in priority order."""
    env = os.environ.get("STEWARD_KILL_SWITCH")
    env_reason = os.environ.get("STEWARD_KILL_SWITCH_REASON")
    env_state = decide(env, env_reason, False, None)
    if env_state.active:
        return env_state
    flag, reason = database_flag(db)
    return decide(
        env,
        env_reason,
        flag,
        reason,
        tenant_enabled=tenant.agent_enabled if tenant else None,
        tenant_slug=tenant.slug if tenant else None,
    )


def announce(db: Database, describe: str, slugs: list[str] | None = None) -> int:
    """Raise the kill-switch alert for each tenant it stops (all of them for a global switch),
    so their people hear it from their own alert channels. Returns how many were told."""
    now = datetime.now(UTC)
    targets = slugs if slugs is not None else [t.slug for t in db.tenants()]
    for slug in targets:
        with db.for_tenant(slug) as scope:
            kill_switch_alert(scope, now, describe)
    return len(targets)
