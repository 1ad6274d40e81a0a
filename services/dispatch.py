"""The dispatcher: deliver a tenant's due outbox rows exactly once, or say why not.

Every pass first settles what earlier passes left behind (expired claims, delivery-unknown rows;
see resources/store/outbox.py for the protocol), then checks the kill switches. Rows whose delivery
stays inside the system (dry-run mail, deliverable files, order fixes) are handled as one batch
(services/deliverables.py). Mail that leaves (internal_only, limited_live) is claimed one row at
a time and, right before it goes, checked again for what may have changed since the gate queued
it: the switches, the tenant's send mode and allowlist, a suppression that arrived meanwhile.
Live mail that its configuration keeps from going (no sender address, no SMTP server) waits for
the fix with an alert instead of failing (services/config_problems.py).
"""

from __future__ import annotations

import os
import socket
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.actions import EMAIL_KINDS, KINDS
from resources.clients import Clients
from resources.database import Database, Tenant
from resources.mailer import Mailer
from resources.mailer.message import build_message
from resources.mailer.render import is_placeholder
from resources.store import outbox as box
from resources.store.contacts import record_outbound_touch
from resources.store.tenants import get_tenant
from services.alerts import record_provider_failure
from services.config_problems import (
    configuration_complete,
    live_mail_problem,
    wait_for_configuration,
)
from services.deliverables import blocked, deliver_local, recipient_refusals, record
from services.killswitch import kill_state
from services.reconcile import reconcile

DEFAULT_LEASE = timedelta(minutes=5)
OTHER_KINDS = tuple(k for k in KINDS if k not in EMAIL_KINDS)


@dataclass
class DispatchReport:
    tenant: str
    counts: Counter = field(default_factory=Counter)
    held: str | None = None
    released_claims: int = 0
    unknown: list[str] = field(default_factory=list)

    def line(self) -> str:
        parts = [f"{k} {v}" for k, v in sorted(self.counts.items())] or ["nothing due"]
        if self.held:
            parts.append(f"held: {self.held}")
        if self.unknown:
            parts.append(f"delivery unknown {len(self.unknown)}")
        return f"{self.tenant}: " + ", ".join(parts)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def dispatch_tenant(
    db: Database,
    clients: Clients,
    slug: str,
    now: datetime | None = None,
    lease: timedelta = DEFAULT_LEASE,
    limit: int = 200,
    kinds: tuple[str, ...] | None = None,
) -> DispatchReport:
    """Deliver what is due (only `kinds`, if given) and settle what earlier passes left."""
    now = now or datetime.now(UTC)
    mailer, alerts = clients.mailer, clients.alerts
    report = DispatchReport(slug)
    worker = worker_name()
    report.released_claims, unknown = box.expire_claims(db, slug, now, lease)
    tenant = get_tenant(db, slug)
    for row in unknown:
        if reconcile(db, clients.mailboxes, alerts, tenant, row, now):
            report.counts["reconciled"] += 1
        else:
            report.unknown.append(row["idempotency_key"])
    stop = kill_state(db, tenant)
    if stop.active:
        report.held = stop.describe()
        return report
    email_hold = _email_hold(mailer, tenant)
    if email_hold is not None:
        kinds = tuple(k for k in (kinds or OTHER_KINDS) if k in OTHER_KINDS)
    if email_hold:
        report.held = email_hold
    due = box.due(db, slug, now, limit, kinds)
    live = [r for r in due if r["kind"] in EMAIL_KINDS and tenant.settings.send_mode != "dry_run"]
    local = [r for r in due if r not in live]
    report.counts.update(deliver_local(db, mailer, clients.providers, tenant, local, worker, now))
    problem = live_mail_problem(tenant, mailer) if live else None
    if problem:
        report.counts["deferred"] += wait_for_configuration(db, alerts, tenant, live, problem, now)
        report.held = problem.reason
        return report
    if live:
        configuration_complete(db, tenant, now)
    for row in live:
        if not box.claim(db, slug, row["id"], worker, now):
            continue
        outcome = _deliver(db, clients, tenant, row, worker, now)
        report.counts[outcome] += 1
        if outcome == "held":
            report.held = _held_reason(db, tenant, mailer) or report.held
            break
    return report


def _deliver(
    db: Database, clients: Clients, tenant: Tenant, row: dict[str, Any], worker: str, now: datetime
) -> str:
    """One email that leaves the system: switches, send mode and suppressions are checked again
    right before it goes."""
    slug = tenant.slug
    stop = _held_reason(db, tenant, clients.mailer)
    if stop:
        box.release(db, slug, row["id"], now, stop)
        return "held"
    refusal = recipient_refusals(db, get_tenant(db, slug), [row]).get(row["id"])
    if refusal:
        with db.for_tenant(slug) as scope:
            record(scope, [(row, blocked(row, refusal))], now)
        return "blocked"
    payload = row["payload"] or {}
    if is_placeholder(payload["from"]):  # rendered while the tenant had no sender; it has one now
        payload = {**payload, "from": tenant.settings.sender_address}
        box.readdress(db, slug, row["id"], payload, now)
        row = {**row, "payload": payload}
    msg = build_message(slug, row["idempotency_key"], payload, now)
    return _smtp(db, clients, tenant, row, msg, worker, now)


def _smtp(db, clients: Clients, tenant, row, msg, worker, now) -> str:
    slug, mailer = tenant.slug, clients.mailer
    try:
        outcome = mailer.send(
            msg,
            row["payload"]["from"],
            row["target"],
            before_data=lambda: box.mark_sending(
                db, slug, row["id"], worker, now, msg["Message-ID"].strip("<>")
            ),
        )
    except box.LeaseLost:
        return "lease_lost"
    mode = tenant.settings.send_mode
    if outcome.status == "sent":
        box.settle(
            db,
            slug,
            row["id"],
            now,
            status="sent",
            sent_at=now,
            send_mode=mode,
            provider="smtp",
            provider_ref=f"{msg['Message-ID']} {outcome.detail}"[:500],
            last_error=None,
            claimed_by=None,
        )
        record_outbound_touch(db, slug, row, now)
        return "sent"
    with db.for_tenant(slug) as scope:
        record_provider_failure(
            scope,
            clients.alerts,
            "smtp",
            outcome.detail,
            now,
            code=outcome.code,
            quota=outcome.quota,
            outbox_id=row["id"],
        )
    if outcome.status == "unknown":
        box.settle(
            db,
            slug,
            row["id"],
            now,
            status="delivery_unknown",
            send_mode=mode,
            last_error=outcome.detail,
        )
        unknown = {**row, "last_error": outcome.detail}
        return (
            "reconciled"
            if reconcile(db, clients.mailboxes, clients.alerts, tenant, unknown, now)
            else outcome.status
        )
    if outcome.status == "failed":
        box.settle(
            db, slug, row["id"], now, status="failed", last_error=outcome.detail, claimed_by=None
        )
        return "failed"
    return box.retry_or_fail(db, slug, row, now, outcome.detail)


def _held_reason(db: Database, tenant: Tenant, mailer: Mailer | None) -> str | None:
    stop = kill_state(db, get_tenant(db, tenant.slug))
    if stop.active:
        return stop.describe()
    return _email_hold(mailer, tenant) if mailer is not None else None


def _email_hold(mailer: Mailer, tenant: Tenant) -> str | None:
    if tenant.settings.send_mode != "dry_run" and mailer.send_disabled():
        return "email sending disabled (STEWARD_EMAIL_SEND_DISABLED)"
    return None
