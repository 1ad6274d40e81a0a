"""`inbox`: every tenant's mailbox, read incrementally and turned into facts the cycle acts on.

Each tenant of the partition range is ingested by services/inbox/ingest.py; one tenant's failure
is recorded and shown, and the others go on. Ingest only reads, so the kill switches do not stop
it.
"""

from datetime import UTC, datetime

import dagster as dg

from agent.mail.batch import IngestCounts
from agent.overview import as_markdown
from assets.partitions import tenant_partitions
from resources.alerts import Alerts
from resources.database import Database
from resources.mailbox.resource import Mailboxes
from services.inbox.ingest import ingest_tenant, record_ingest

SUMMARY = ("status", "fetched", "new", "duplicate", "quarantined", "contacts_created",
           "touches", "cadence_pauses", "suppressed", "signals", "attachments")


@dg.asset(
    partitions_def=tenant_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name="inbox",
    kinds={"python", "email"},
    check_specs=[dg.AssetCheckSpec("mailboxes_healthy", asset="inbox")],
)
def inbox(
    context: dg.AssetExecutionContext, database: Database, mailboxes: Mailboxes, alerts: Alerts
) -> dg.MaterializeResult:
    """New mail per tenant: stored once, linked, classified with reasons, outcomes recorded."""
    database.require_current_schema()
    now = datetime.now(UTC)
    rows, failing, totals = [], [], IngestCounts()
    tenants = {t.slug: t for t in database.tenants()}
    for slug in context.partition_keys:
        try:
            counts, status, notes = ingest_tenant(database, mailboxes, alerts, tenants[slug], now)
        except Exception as exc:  # recorded and shown; the other tenants still ingest
            context.log.exception(f"ingest failed for {slug}")
            counts, status, notes = IngestCounts(), f"error: {type(exc).__name__}: {exc}", []
        if status not in ("connected", "no mailbox configured"):
            failing.append(f"{slug}: {status}")
        figures = {**counts.as_metadata(), "status": status, "notes": "; ".join(notes) or "-"}
        record_ingest(database, slug, figures, context.run_id, now)
        context.log_event(
            dg.AssetObservation(asset_key=context.asset_key, partition=slug, metadata=figures)
        )
        totals.add(counts)
        rows.append({"tenant": slug, **{k: figures[k] for k in SUMMARY}})
    listing = "\n".join(f"- {f}" for f in failing) or "none"
    return dg.MaterializeResult(
        metadata={
            "tenants": len(rows),
            **totals.as_metadata(),
            "per_tenant": dg.MetadataValue.md(as_markdown(rows)),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="mailboxes_healthy",
                passed=not failing,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={"failing": dg.MetadataValue.md(listing), "tenants": len(rows)},
                description="Every mailbox synced without connection, auth or provider errors.",
            )
        ],
    )
