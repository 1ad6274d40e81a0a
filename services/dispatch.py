"""The dispatcher: deliver a tenant's due outbox rows exactly once, or say why not.

Every pass first settles what earlier passes left behind (expired claims, delivery-unknown rows;
see resources/store/outbox.py for the protocol), then checks the kill switches. Rows whose delivery
stays inside the system (dry-run mail, deliverable files, order fixes) are handled as one batch
(services/deliverables.py); a campaign's batch is expanded there into its recipients' mail,
which goes in the same pass. Mail that leaves (internal_only, limited_live) goes over SMTP
(services/live_mail.py), checked again for what may have changed since the gate queued it: the
switches, the tenant's send mode and allowlist, a suppression that arrived meanwhile.
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
from resources.store import outbox as box
from resources.store.tenants import get_tenant
from services.broadcasts.sending import BATCH_KIND, MAIL_KIND
from services.config_problems import (
    configuration_complete,
    live_mail_problem,
    wait_for_configuration,
)
from services.deliverables import deliver_local
from services.killswitch import kill_state
from services.live_mail import email_hold, send_live
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
    held_mail = email_hold(mailer, tenant)
    if held_mail:  # the other kinds still go
        kinds = tuple(k for k in (kinds or OTHER_KINDS) if k in OTHER_KINDS)
        report.held = held_mail
    due = box.due(db, slug, now, limit, kinds)
    live, local = _split(due, tenant)
    report.counts.update(deliver_local(db, mailer, clients.providers, tenant, local, worker, now))
    if any(r["kind"] == BATCH_KIND for r in local) and (kinds is None or MAIL_KIND in kinds):
        more_live, more_local = _split(box.due(db, slug, now, limit, (MAIL_KIND,)), tenant)
        live += more_live  # the mail of the batches just expanded goes in this pass too
        report.counts.update(
            deliver_local(db, mailer, clients.providers, tenant, more_local, worker, now))
    problem = live_mail_problem(tenant, mailer) if live else None
    if problem:
        report.counts["deferred"] += wait_for_configuration(db, alerts, tenant, live, problem, now)
        report.held = problem.reason
        return report
    if live:
        configuration_complete(db, tenant, now)
        stopped = send_live(db, clients, tenant, live, worker, now, report.counts)
        report.held = stopped or report.held
    return report


def _split(rows: list[dict[str, Any]], tenant: Tenant) -> tuple[list, list]:
    """(mail that leaves the system, rows delivered here)."""
    live = [r for r in rows if r["kind"] in EMAIL_KINDS and tenant.settings.send_mode != "dry_run"]
    return live, [r for r in rows if r not in live]
