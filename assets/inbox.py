"""`inbox`: every tenant's mailbox, read incrementally and turned into facts the cycle acts on.

Each tenant of the partition range is ingested by services/inbox/ingest.py; one tenant's failure
is recorded and shown, and the others go on. Ingest only reads, so the kill switches do not stop
it.
"""

from datetime import UTC, datetime

import dagster as dg

from agent.mail.batch import IngestCounts
from assets.batch import (
    TRANSIENT_RETRY,
    Outcome,
    add_partition_metadata,
    failed_check,
    failed_spec,
    require_schema,
)
from assets.partitions import tenant_partitions
from resources.alerts import Alerts
from resources.database import Database
from resources.mailbox.resource import Mailboxes
from services.inbox.ingest import ingest_tenant, record_ingest

HEALTHY = ("connected", "no mailbox configured")


@dg.asset(
    partitions_def=tenant_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name="inbox",
    kinds={"python", "email"},
    retry_policy=TRANSIENT_RETRY,  # one mailbox's error is isolated; the next tick retries it
    check_specs=[dg.AssetCheckSpec("mailboxes_healthy", asset="inbox"), failed_spec("inbox")],
)
def inbox(
    context: dg.AssetExecutionContext, database: Database, mailboxes: Mailboxes, alerts: Alerts
) -> dg.MaterializeResult:
    """New mail per tenant: stored once, linked, classified with reasons, outcomes recorded."""
    require_schema(database)
    now = datetime.now(UTC)
    outcomes: dict[str, Outcome] = {}
    failing = []
    tenants = {t.slug: t for t in database.tenants()}
    for slug in context.partition_keys:
        state = "done"
        try:
            counts, status, notes = ingest_tenant(database, mailboxes, alerts, tenants[slug], now,
                                                  context.run_id)
        except Exception as exc:  # recorded and shown; the other tenants still ingest
            context.log.exception(f"ingest failed for {slug}")
            counts, status, notes = IngestCounts(), f"error: {type(exc).__name__}: {exc}", []
            state = "failed"
        if status not in HEALTHY:
            failing.append(f"{slug}: {status}")
        if status == "no mailbox configured":
            state = "skipped"
        figures = {**counts.as_metadata(), "notes": "; ".join(notes) or "-"}
        record_ingest(database, slug, {**figures, "status": status}, context.run_id, now)
        outcomes[slug] = Outcome(state, status, figures)
    add_partition_metadata(context, outcomes, context.asset_key)
    listing = "\n".join(f"- {f}" for f in failing) or "none"
    return dg.MaterializeResult(
        check_results=[
            dg.AssetCheckResult(
                check_name="mailboxes_healthy",
                passed=not failing,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={"failing": dg.MetadataValue.md(listing), "tenants": len(outcomes)},
                description="Every mailbox synced without connection, auth or provider errors.",
            ),
            failed_check(outcomes, context.asset_key),
        ],
    )
