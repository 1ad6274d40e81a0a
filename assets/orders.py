"""`order_validation`: new orders checked within minutes of arriving (the new-order sensor).

Per tenant (services/order_intake.py): pricing, credit and requirements checks, exceptions
recorded per order and rule, and the safe fixes proposed through the gate and applied at once.
"""

from datetime import UTC, datetime

import dagster as dg

from agent.overview import as_markdown
from assets.partitions import tenant_partitions
from resources.clients import Clients
from resources.database import Database
from services.order_intake import validate_and_fix


@dg.asset(
    partitions_def=tenant_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name="orders",
    kinds={"python"},
)
def order_validation(
    context: dg.AssetExecutionContext,
    database: Database,
    clients: Clients,
) -> dg.MaterializeResult:
    """New orders checked; exceptions with severity and reason; safe fixes applied."""
    now = datetime.now(UTC)
    rows = []
    for slug in context.partition_keys:
        try:
            figures = validate_and_fix(database, clients, slug, now)
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
