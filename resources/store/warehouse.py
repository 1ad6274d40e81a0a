"""The `warehouse_events` table: what every area reports for analysts, one row per event key.

An area names its event by a natural key (the cycle's tenant and hour, an ingest run), so a
rerun replaces the event instead of adding another and the daily facts never count it twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from resources.database import TenantScope
from resources.store.schema import warehouse_events


def record_event(
    scope: TenantScope,
    key: str,
    event_type: str,
    occurred_at: datetime,
    payload: dict[str, Any],
    run_id: str | None,
    entity_type: str = "tenant",
    entity_id: str | None = None,
) -> None:
    """Write the event under `key`, replacing an earlier one with the same key."""
    scope.execute(sa.delete(warehouse_events).where(warehouse_events.c.event_key == key))
    scope.insert(
        warehouse_events,
        {
            "event_key": key,
            "event_type": event_type,
            "entity_type": entity_type,
            "entity_id": entity_id if entity_id is not None else scope.tenant.slug,
            "occurred_at": occurred_at,
            "payload": payload,
            "dagster_run_id": run_id,
        },
    )
