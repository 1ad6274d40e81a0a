"""`inbox`: every tenant's mailbox, read incrementally and turned into facts the cycle acts on.

Per tenant: fetch what is new since the stored checkpoint, parse and analyse each message
(agent.mail; a large batch on every core, see services/inbox/analysis.py), store the batch and
the new checkpoint in one transaction (so a crash re-fetches, and dedupe makes that harmless),
record the mailbox's connection status, and raise alerts for a mailbox that keeps failing or has
gone quiet. Ingest only reads: the kill switches, which stop actions, do not stop it. One
tenant's failure is recorded and the others go on.
"""

from datetime import UTC, datetime

import dagster as dg

from agent.mail.batch import IngestCounts
from agent.overview import as_markdown
from assets.partitions import tenant_partitions
from resources.database import Database, Tenant
from resources.mailbox import MailboxError
from resources.mailbox.resource import Mailboxes
from resources.store.mailbox_state import check_stalled, load_state, save_failure, save_success
from resources.store.schema import warehouse_events
from services.inbox.analysis import Analyser, fetch_analysed
from services.inbox.batch import store_batch

SUMMARY = ("status", "fetched", "new", "duplicate", "quarantined", "contacts_created",
           "touches", "cadence_pauses", "suppressed", "signals", "attachments")


def ingest_tenant(
    database: Database, mailboxes: Mailboxes, tenant: Tenant, now: datetime
) -> tuple[IngestCounts, str, list[str]]:
    """Sync one tenant's mailbox until nothing new is left; returns counts, status and notes."""
    url = tenant.settings.mailbox
    counts, notes = IngestCounts(), []
    if not url:
        return counts, "no mailbox configured", notes
    own = tenant.settings.own_addresses
    max_bytes = int(tenant.settings.thresholds.max_attachment_mb * 2**20)
    with database.for_tenant(tenant.slug) as scope:
        checkpoint = (load_state(scope, url) or {}).get("checkpoint")
    try:
        with (
            mailboxes.open(tenant.slug, url) as source,
            Analyser(own, max_bytes, mailboxes.analysis_workers) as analyser,
        ):
            for result, items in fetch_analysed(source, checkpoint, mailboxes.batch_size, analyser):
                with database.for_tenant(tenant.slug) as scope:
                    batch = store_batch(scope, items, own, now)
                    save_success(scope, url, result.checkpoint, now, batch.new)
                counts.add(batch)
                notes += [f"unreadable this time: {e}" for e in result.errors]
                notes += [f"folder {f} re-read: UIDVALIDITY changed" for f in result.resynced]
    except MailboxError as exc:
        with database.for_tenant(tenant.slug) as scope:
            failures = save_failure(scope, url, exc.status, str(exc), now)
        return counts, f"{exc.status} ({failures} in a row): {exc}", notes
    with database.for_tenant(tenant.slug) as scope:
        stalled = check_stalled(scope, url, tenant.settings.thresholds.ingest_stalled_hours, now)
    return counts, "stalled" if stalled else "connected", notes


def record_event(database: Database, slug: str, figures: dict, run_id: str, now: datetime) -> None:
    with database.for_tenant(slug) as scope:
        scope.insert(
            warehouse_events,
            {
                "event_key": f"inbox_ingest:{run_id}",
                "event_type": "inbox_ingest",
                "entity_type": "tenant",
                "entity_id": slug,
                "occurred_at": now,
                "payload": figures,
                "dagster_run_id": run_id,
            },
            skip_conflicts_on=("tenant_id", "event_key"),
        )


@dg.asset(
    partitions_def=tenant_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name="inbox",
    kinds={"python", "email"},
    check_specs=[dg.AssetCheckSpec("mailboxes_healthy", asset="inbox")],
)
def inbox(
    context: dg.AssetExecutionContext, database: Database, mailboxes: Mailboxes
) -> dg.MaterializeResult:
    """New mail per tenant: stored once, linked, classified with reasons, outcomes recorded."""
    database.require_current_schema()
    now = datetime.now(UTC)
    rows, failing, totals = [], [], IngestCounts()
    tenants = {t.slug: t for t in database.tenants()}
    for slug in context.partition_keys:
        try:
            counts, status, notes = ingest_tenant(database, mailboxes, tenants[slug], now)
        except Exception as exc:  # recorded and shown; the other tenants still ingest
            context.log.exception(f"ingest failed for {slug}")
            counts, status, notes = IngestCounts(), f"error: {type(exc).__name__}: {exc}", []
        if status not in ("connected", "no mailbox configured"):
            failing.append(f"{slug}: {status}")
        figures = {**counts.as_metadata(), "status": status, "notes": "; ".join(notes) or "-"}
        record_event(database, slug, figures, context.run_id, now)
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
