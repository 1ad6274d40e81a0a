"""The alert for a campaign Steward paused because its bounce or complaint rate crossed the
tenant's threshold (services/broadcasts/engine.py): the owner hears why and how to go on."""

from __future__ import annotations

from datetime import datetime, timedelta

from resources.alerts import Alerts
from resources.database import TenantScope
from resources.database.clock import aware
from resources.store import broadcasts as store
from services.broadcasts.campaigns import STEWARD

RULE = "broadcast_paused"
ANNOUNCE_WITHIN = timedelta(hours=2)


def alert_paused_campaigns(scope: TenantScope, alerts: Alerts, now: datetime) -> int:
    """Raise the alert for each campaign paused by the rule recently; returns how many."""
    raised = 0
    for row in store.listing(scope, ("paused",)):
        if row["paused_by"] != STEWARD or now - aware(row["paused_at"]) > ANNOUNCE_WITHIN:
            continue
        alerts.raise_(
            scope, RULE, f"{RULE}:{row['id']}:{aware(row['paused_at']):%Y%m%d%H%M}",
            f"campaign {row['name']!r} paused", f"{row['note']}. Look at its bounces and "
            f"complaints (`steward broadcast status {row['name']} --tenant {scope.tenant.slug}`),"
            f" then `steward broadcast resume` or `cancel` it.", now, "critical")
        raised += 1
    return raised
