"""`order_validation`: new orders checked within minutes of arriving (the new-order sensor).

Per tenant (services/order_intake.py): pricing, credit and requirements checks, exceptions
recorded per order and rule, and the safe fixes proposed through the gate and applied at once.
"""

from datetime import UTC, datetime

import dagster as dg

from assets.batch import (
    Outcome,
    add_partition_metadata,
    failed_check,
    failed_spec,
    require_schema,
    worth_recording,
)
from assets.partitions import tenant_partitions
from resources.clients import Clients
from resources.database import Database
from services.order_intake import validate_and_fix


@dg.asset(
    partitions_def=tenant_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name="orders",
    kinds={"python"},
    output_required=False,
    check_specs=[failed_spec("order_validation")],
)
def order_validation(
    context: dg.AssetExecutionContext,
    database: Database,
    clients: Clients,
):
    """New orders checked; exceptions with severity and reason; safe fixes applied. A range
    where no tenant had a new order records no materialization."""
    require_schema(database)
    now = datetime.now(UTC)
    outcomes: dict[str, Outcome] = {}
    for slug in context.partition_keys:
        try:
            figures = validate_and_fix(database, clients, slug, now)
        except Exception as exc:  # recorded; the other tenants' orders are still checked
            context.log.exception(f"order validation failed for {slug}")
            outcomes[slug] = Outcome("failed", f"{type(exc).__name__}: {exc}")
            continue
        if figures["checked"]:
            line = f"{figures['checked']} checked, {figures['on_hold']} on hold"
            outcomes[slug] = Outcome("done", line, figures)
        else:
            outcomes[slug] = Outcome("skipped", "no new orders", figures)
    check = failed_check(outcomes, context.asset_key)
    if worth_recording(outcomes):
        add_partition_metadata(context, outcomes, context.asset_key)
        yield dg.MaterializeResult(check_results=[check])
    else:
        context.log.info("no tenant of this range had new orders: nothing recorded")
        yield check
