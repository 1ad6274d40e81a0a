"""Ingest one tenant's mailbox: fetch what is new since the checkpoint, analyse, store, alert.

Per tenant: fetch what is new since the stored checkpoint, parse and analyse each message
(agent.mail; a large batch on every core, see services/inbox/analysis.py), store the batch and
the new checkpoint in one transaction (so a crash re-fetches, and dedupe makes that harmless),
record the mailbox's connection status, and raise alerts for a mailbox that keeps failing or has
gone quiet (thresholds in agent/alerts.py). Ingest only reads: the kill switches, which stop
actions, do not stop it.
"""

from __future__ import annotations

from datetime import datetime

from agent.alerts import mailbox_failing, mailbox_stalled
from agent.mail.batch import IngestCounts
from resources.alerts import Alerts
from resources.database import Database, Tenant, TenantScope
from resources.database.clock import aware
from resources.mailbox import MailboxError
from resources.mailbox.resource import Mailboxes
from resources.store.alerts import resolve_alert
from resources.store.mailbox_state import load_state, save_failure, save_success
from resources.store.secret_audit import record_uses
from resources.store.warehouse import record_event
from services.alerts import check_complaint_rate, check_our_side_bounces
from services.inbox.analysis import Analyser, fetch_analysed
from services.inbox.batch import store_batch


def ingest_tenant(
    database: Database, mailboxes: Mailboxes, alerts: Alerts, tenant: Tenant, now: datetime,
    run_id: str | None = None,
) -> tuple[IngestCounts, str, list[str]]:
    """Sync one tenant's mailbox until nothing new is left; returns counts, status and notes.
    The secrets it read are audited with the outcome (secret_audit)."""
    url = tenant.settings.mailbox
    counts, notes = IngestCounts(), []
    if not url:
        return counts, "no mailbox configured", notes
    own = tenant.settings.own_addresses
    max_bytes = int(tenant.settings.thresholds.max_attachment_mb * 2**20)
    with database.for_tenant(tenant.slug) as scope:
        checkpoint = (load_state(scope, url) or {}).get("checkpoint")
    used: tuple[tuple[str, int | None], ...] = ()
    try:
        credentials = mailboxes.credentials(tenant.slug)
        used = credentials.used
        with (
            mailboxes.open(tenant.slug, url, credentials) as source,
            Analyser(own, max_bytes, mailboxes.analysis_workers) as analyser,
        ):
            for result, items in fetch_analysed(source, checkpoint, mailboxes.batch_size, analyser):
                with database.for_tenant(tenant.slug) as scope:
                    batch = store_batch(scope, items, own, now)
                    save_success(scope, url, result.checkpoint, now, batch.new)
                    resolve_alert(scope, f"mailbox_errors:{url}", now)
                counts.add(batch)
                notes += [f"unreadable this time: {e}" for e in result.errors]
                notes += [f"folder {f} re-read: UIDVALIDITY changed" for f in result.resynced]
    except MailboxError as exc:
        with database.for_tenant(tenant.slug) as scope:
            record_uses(scope, used, "ingest", False, now, f"{exc.status}: {exc}", run_id)
            failures = save_failure(scope, url, exc.status, str(exc), now)
            if mailbox_failing(failures, exc.status):
                alerts.raise_(
                    scope,
                    "mailbox_errors",
                    f"mailbox_errors:{url}",
                    f"mailbox {exc.status} {failures} times in a row",
                    str(exc),
                    now,
                    "error",
                )
        return counts, f"{exc.status} ({failures} in a row): {exc}", notes
    with database.for_tenant(tenant.slug) as scope:
        record_uses(scope, used, "ingest", True, now, None, run_id)
        check_our_side_bounces(scope, alerts, counts.our_side, now)
        check_complaint_rate(scope, alerts, now)
        stalled = check_stalled(
            scope, alerts, url, tenant.settings.thresholds.ingest_stalled_hours, now
        )
    return counts, "stalled" if stalled else "connected", notes


def check_stalled(
    scope: TenantScope, alerts: Alerts, mailbox: str, stalled_hours: int, now: datetime
) -> bool:
    """Alert on a mailbox that used to receive mail and has ingested nothing for a while."""
    state = load_state(scope, mailbox) or {}
    last = state.get("last_message_at")
    last = aware(last) if last is not None else None
    key = f"ingest_stalled:{mailbox}"
    if mailbox_stalled(state.get("messages_total") or 0, last, now, stalled_hours):
        alerts.raise_(
            scope,
            "ingest_stalled",
            key,
            "ingest stalled",
            f"no new mail since {last:%Y-%m-%d %H:%M} UTC ({stalled_hours} h threshold)",
            now,
        )
        return True
    resolve_alert(scope, key, now)
    return False


def record_ingest(database: Database, slug: str, figures: dict, run_id: str, now: datetime) -> None:
    """The run's ingest figures for the warehouse, one event per tenant and run."""
    with database.for_tenant(slug) as scope:
        record_event(scope, f"inbox_ingest:{run_id}", "inbox_ingest", now, figures, run_id)
