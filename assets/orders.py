"""`order_validation`: new orders checked within minutes of arriving (the new-order sensor).

Per tenant: pricing, credit and requirements checks (agent/orders.py), exceptions recorded per
order and rule, and the safe fixes proposed through the gate and applied at once by the
dispatcher (only order fixes: mail waits for the cycle and the dispatch schedule). The hourly
cycle runs the same validation, so an order the sensor missed is still checked within the hour.
"""

from datetime import UTC, datetime

import dagster as dg

from agent.overview import as_markdown
from assets.partitions import tenant_partitions
from resources.database import Database
from resources.mailer import Mailer
from services.dispatch import dispatch_tenant
from services.gate import propose
from services.orders import validate_new_orders


def validate_tenant(database: Database, mailer: Mailer, slug: str, now: datetime) -> dict:
    with database.for_tenant(slug) as scope:
        result = validate_new_orders(scope, now)
    decided = propose(database, slug, result.fixes, now) if result.fixes else []
    applied = dispatch_tenant(database, mailer, slug, now, kinds=("order_fix",))
    return {
        "checked": result.checked,
        "validated": result.clean,
        "on_hold": result.on_hold,
        "fixes_proposed": len(decided),
        "fixes_applied": applied.counts.get("delivered", 0),
        "problems": ", ".join(f"{k} {v}" for k, v in sorted(result.problems.items())) or "-",
    }


@dg.asset(
    partitions_def=tenant_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name="orders",
    kinds={"python"},
)
def order_validation(
    context: dg.AssetExecutionContext, database: Database, mailer: Mailer
) -> dg.MaterializeResult:
    """New orders checked; exceptions with severity and reason; safe fixes applied."""
    now = datetime.now(UTC)
    rows = []
    for slug in context.partition_keys:
        try:
            figures = validate_tenant(database, mailer, slug, now)
        except Exception as exc:  # recorded; the other tenants' orders are still checked
            context.log.exception(f"order validation failed for {slug}")
            figures = {"checked": 0, "problems": f"error: {type(exc).__name__}: {exc}"}
        rows.append({"tenant": slug, **figures})
    return dg.MaterializeResult(
        metadata={
            "tenants": len(rows),
            "orders_checked": sum(r.get("checked", 0) for r in rows),
            "on_hold": sum(r.get("on_hold", 0) for r in rows),
            "per_tenant": dg.MetadataValue.md(as_markdown(rows)),
        }
    )
