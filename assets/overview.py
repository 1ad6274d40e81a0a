"""`tenant_overview`: a per-tenant inventory of what Steward knows, written to the warehouse.

It is the first thing every run materializes and the figures `make run` prints; later areas
(ingest, cycle, documents) hang their assets beside it on the same tenant partitions.
"""

from datetime import UTC, datetime, timedelta

import dagster as dg
import sqlalchemy as sa

from agent.overview import as_markdown, engagement_snapshot
from assets.hour import run_hour
from assets.partitions import tenant_partitions
from resources.database import Database, TenantScope
from resources.store import schema
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


def record_event(
    scope: TenantScope, figures: dict[str, object], hour: datetime, run_id: str
) -> None:
    """One overview event per tenant and hour: a rerun replaces it instead of adding another."""
    key = f"tenant_overview:{hour:%Y-%m-%dT%H}"
    scope.execute(
        sa.delete(schema.warehouse_events).where(schema.warehouse_events.c.event_key == key)
    )
    scope.insert(
        schema.warehouse_events,
        {
            "event_key": key,
            "event_type": "tenant_overview",
            "entity_type": "tenant",
            "entity_id": scope.tenant.slug,
            "occurred_at": hour,
            "payload": figures,
            "dagster_run_id": run_id,
        },
    )


@dg.asset(
    partitions_def=tenant_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name="overview",
    kinds={"python", "sql"},
)
def tenant_overview(context: dg.AssetExecutionContext, database: Database) -> dg.MaterializeResult:
    """Counts and engagement figures per tenant, one warehouse event per tenant and hour."""
    database.require_current_schema()
    hour = run_hour(context)
    as_of = min(hour + timedelta(hours=1), datetime.now(UTC))
    rows = []
    for slug in context.partition_keys:
        with database.for_tenant(slug) as scope:
            figures = tenant_figures(scope, as_of)
            state = kill_state(database, scope.tenant)
            figures["kill_switch"] = state.describe() if state.active else "off"
            record_event(scope, figures, hour, context.run_id)
        context.log_event(
            dg.AssetObservation(
                asset_key=context.asset_key,
                partition=slug,
                metadata={k: v if isinstance(v, int) else str(v) for k, v in figures.items()},
            )
        )
        rows.append({"tenant": slug, **figures})
    return dg.MaterializeResult(
        metadata={
            "tenants": len(rows),
            "contacts": sum(int(r["contacts"]) for r in rows),
            "orders": sum(int(r["orders"]) for r in rows),
            "overview": dg.MetadataValue.md(as_markdown(rows)),
        }
    )
