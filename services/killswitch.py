"""Which kill switch stops a tenant now, and telling the people it stops.

The decision is agent.killswitch.decide; the database flag is resources/store/system_config.py."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from agent.killswitch import KillState, decide
from resources.alerts import Alerts
from resources.database import Database, Tenant
from resources.store.system_config import database_flag
from services.alerts import kill_switch_alert


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


def announce(
    db: Database, alerts: Alerts, describe: str, slugs: list[str] | None = None
) -> int:
    """Raise the kill-switch alert for each tenant it stops (all of them for a global switch),
    so their people hear it from their own alert channels. Returns how many were told."""
    now = datetime.now(UTC)
    targets = slugs if slugs is not None else [t.slug for t in db.tenants()]
    for slug in targets:
        with db.for_tenant(slug) as scope:
            kill_switch_alert(scope, alerts, now, describe)
    return len(targets)
