"""Mail that leaves the system over SMTP, for one dispatcher pass (services/dispatch.py).

Rows go in chunks of CHUNK: before each, the kill switches, the send mode and the tenant are
read again, the chunk is claimed in one statement and its recipients re-checked together (a
suppression, a cadence's stop, a tighter send mode may be newer than the gate's decision); so a
switch turned on stops the pass within a chunk, a tenth of a second of mail or so. A chunk's
rows go out on the mailer's `connections` lanes at once, each with its own SMTP connection and
its own hand-over steps (resources/store/handover.py): one transaction a message, asked for
before MAIL FROM and waited for before DATA, which also records the lane's previous message as
`sent`. A provider's throttle (4xx, quota) on campaign mail slows the campaign
(services/broadcasts/sending.py) and the pass leaves the rest of the campaigns' mail for later.
"""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from queue import Empty, SimpleQueue
from typing import Any

from resources.clients import Clients
from resources.database import Database, Tenant
from resources.mailer import Mailer
from resources.mailer.message import build_message, message_id
from resources.mailer.render import is_placeholder
from resources.mailer.smtp import SmtpSession
from resources.store import outbox as box
from resources.store.contacts import record_outbound_touch
from resources.store.handover import Handover
from resources.store.tenants import get_tenant
from services.alerts import record_provider_failure
from services.broadcasts.sending import MAIL_KIND, throttle
from services.deliverables import blocked, recipient_refusals, record
from services.killswitch import kill_state
from services.reconcile import reconcile

CHUNK = 50


def send_live(db: Database, clients: Clients, tenant: Tenant, rows: list[dict[str, Any]],
              worker: str, now: datetime, counts: Counter) -> str | None:
    """Send what can go, on the mailer's `connections` lanes at once (each its own SMTP
    connection and hand-over steps); returns why the pass stopped early (a switch), else None."""
    lanes: list[Lane] = []
    try:
        for _ in range(max(1, min(clients.mailer.connections, len(rows)))):
            lanes.append(Lane(clients.mailer.session(), Handover(db, tenant.slug, worker)))
        shared = Shared(counts)
        with ThreadPoolExecutor(len(lanes), thread_name_prefix=f"smtp-{tenant.slug}") as pool:
            for start in range(0, len(rows), CHUNK):
                chunk = [r for r in rows[start:start + CHUNK]
                         if not (shared.throttled and r["kind"] == MAIL_KIND)]
                tenant = get_tenant(db, tenant.slug)
                stop = held_reason(db, tenant, clients.mailer)
                if stop:
                    return stop
                won = box.claim_many(db, tenant.slug, [r["id"] for r in chunk], worker, now)
                mine = [r for r in chunk if r["id"] in won]
                todo: SimpleQueue = SimpleQueue()
                for row in mine:
                    todo.put(row)
                refused = recipient_refusals(db, tenant, mine)
                for done in [pool.submit(lane.drain, db, clients, tenant, todo, refused, shared,
                                         now) for lane in lanes]:
                    done.result()
    finally:
        for lane in lanes:
            lane.close()
    return None


class Shared:
    """What a pass's lanes share: the counts, and until when a provider's throttle holds the
    campaigns' mail."""

    def __init__(self, counts: Counter):
        self.counts, self.throttled = counts, None
        self._lock = threading.Lock()

    def count(self, outcome: str | datetime) -> None:
        with self._lock:
            if isinstance(outcome, datetime):
                self.throttled, outcome = outcome, "throttled"
            self.counts[outcome] += 1


@dataclass
class Lane:
    session: SmtpSession
    handover: Handover

    def drain(self, db: Database, clients: Clients, tenant: Tenant, todo: SimpleQueue,
              refused: dict[int, tuple[str, str]], shared: Shared, now: datetime) -> None:
        while True:
            try:
                row = todo.get_nowait()
            except Empty:
                return
            if shared.throttled and row["kind"] == MAIL_KIND:
                with db.for_tenant(tenant.slug) as scope:
                    box.put_back(scope, row["id"], shared.throttled, "the provider throttled "
                                 "the campaigns' mail", now)
                continue
            shared.count(_deliver(db, clients, tenant, row, refused.get(row["id"]),
                                  self.handover, self.session, now))

    def close(self) -> None:
        try:
            self.session.close()
        finally:
            self.handover.close()


def held_reason(db: Database, tenant: Tenant, mailer: Mailer) -> str | None:
    stop = kill_state(db, tenant)
    return stop.describe() if stop.active else email_hold(mailer, tenant)


def email_hold(mailer: Mailer, tenant: Tenant) -> str | None:
    if tenant.settings.send_mode != "dry_run" and mailer.send_disabled():
        return "email sending disabled (STEWARD_EMAIL_SEND_DISABLED)"
    return None


def _deliver(db: Database, clients: Clients, tenant: Tenant, row: dict[str, Any],
             refusal: tuple[str, str] | None, handover: Handover, session: SmtpSession,
             now: datetime) -> str | datetime:
    """The outcome's name, or until when a throttle slowed the campaigns' mail."""
    slug = tenant.slug
    if refusal:
        handover.flush()
        with db.for_tenant(slug) as scope:
            record(scope, [(row, blocked(row, refusal))], now)
        return "blocked"
    payload = row["payload"] or {}
    if is_placeholder(payload["from"]):  # rendered while the tenant had no sender; it has one now
        payload = {**payload, "from": tenant.settings.sender_address}
        box.readdress(db, slug, row["id"], payload, now)
        row = {**row, "payload": payload}
    mid = message_id(slug, row["idempotency_key"], payload["from"])
    marked = handover.sending(row["id"], now, mid.strip("<>"))  # commits while SMTP talks
    msg = build_message(slug, row["idempotency_key"], payload, now)

    def before_data() -> None:
        if not marked.result():
            raise box.LeaseLost(f"outbox row {row['id']} was taken back from its dispatcher")

    try:
        outcome = clients.mailer.send(msg, payload["from"], row["target"],
                                      before_data=before_data, session=session)
    except box.LeaseLost:
        return "lease_lost"
    finally:
        marked.result()  # the step is done before anything else is written about the row
    mode = tenant.settings.send_mode
    if outcome.status == "sent":
        handover.sent(row["id"], now, status="sent", sent_at=now, send_mode=mode,
                      provider="smtp", provider_ref=f"{mid} {outcome.detail}"[:500],
                      last_error=None, claimed_by=None)
        if row["kind"] != MAIL_KIND:  # a campaign is not a conversation: no touch
            record_outbound_touch(db, slug, row, now)
        return "sent"
    handover.flush()
    return _not_sent(db, clients, tenant, row, outcome, now)


def _not_sent(db: Database, clients: Clients, tenant: Tenant, row: dict[str, Any], outcome,
              now: datetime) -> str | datetime:
    slug = tenant.slug
    with db.for_tenant(slug) as scope:
        record_provider_failure(scope, clients.alerts, "smtp", outcome.detail, now,
                                code=outcome.code, quota=outcome.quota, outbox_id=row["id"])
    if outcome.status == "unknown":
        box.settle(db, slug, row["id"], now, status="delivery_unknown",
                   send_mode=tenant.settings.send_mode, last_error=outcome.detail)
        unknown = {**row, "last_error": outcome.detail}
        found = reconcile(db, clients.mailboxes, clients.alerts, tenant, unknown, now)
        return "reconciled" if found else outcome.status
    if outcome.status == "failed":
        box.settle(db, slug, row["id"], now, status="failed", last_error=outcome.detail,
                   claimed_by=None)
        return "failed"
    if row["kind"] == MAIL_KIND and (outcome.quota or (outcome.code or 0) // 100 == 4):
        return throttle(db, tenant, row, outcome.detail, now)
    return box.retry_or_fail(db, slug, row, now, outcome.detail)
