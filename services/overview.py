"""A tenant's inventory: counts, engagement figures and kill-switch state, as of an hour.

It is what `tenant_overview` materializes and `make run` prints; the figures go to the warehouse
as one event per tenant and hour, so a rerun of the hour replaces the event.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from agent.overview import engagement_snapshot
from resources.database import Database, TenantScope
from resources.store import schema
from resources.store.warehouse import record_event
from services.killswitch import kill_state

COUNTED = (
    schema.accounts,
    schema.contacts,
    schema.products,
    schema.orders,
    schema.deals,
    schema.quotes,
    schema.messages,
    schema.documents,
    schema.tasks,
    schema.outbox,
)


def tenant_figures(scope: TenantScope, as_of: datetime) -> dict[str, object]:
    figures: dict[str, object] = {t.name: scope.count(t) for t in COUNTED}
    last_touch = scope.frame(scope.select(schema.contacts.c.last_touch_at))["last_touch_at"]
    figures.update(
        engagement_snapshot(last_touch, as_of, scope.tenant.settings.thresholds.engagement_days)
    )
    figures["open_deals"] = int(
        scope.scalar(
            scope.select(sa.func.count())
            .select_from(schema.deals)
            .where(schema.deals.c.stage.not_in(["won", "lost"]))
        )
    )
    figures["orders_new"] = int(
        scope.scalar(
            scope.select(sa.func.count())
            .select_from(schema.orders)
            .where(schema.orders.c.status == "new")
        )
    )
    return figures


def overview(
    db: Database, slug: str, hour: datetime, as_of: datetime, run_id: str
) -> dict[str, object]:
    """The tenant's figures as of `as_of`, recorded as the hour's overview event."""
    with db.for_tenant(slug) as scope:
        figures = tenant_figures(scope, as_of)
        state = kill_state(db, scope.tenant)
        figures["kill_switch"] = state.describe() if state.active else "off"
        record_event(
            scope, f"tenant_overview:{hour:%Y-%m-%dT%H}", "tenant_overview", hour, figures, run_id
        )
    return figures
