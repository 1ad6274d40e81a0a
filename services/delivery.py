"""One tenant's delivery pass, as the every-minute `dispatch` job and `steward outbox dispatch`
run it: deferred actions whose time has come go through the gate again, unanswered approvals
expire, due outbox rows are delivered, and the rules that watch sending (send volume, a spike of
policy blocks) are checked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from resources.clients import Clients
from resources.database import Database
from services import approvals
from services.alerts import check_policy_block_spike, check_send_volume
from services.dispatch import DEFAULT_LEASE, dispatch_tenant
from services.gate import propose


def dispatch_pass(
    db: Database,
    clients: Clients,
    slug: str,
    limit: int = 200,
    lease: timedelta = DEFAULT_LEASE,
    now: datetime | None = None,
) -> str:
    """One line on what the pass did for the tenant."""
    now = now or datetime.now(UTC)
    retried = propose(db, slug, [], now, retry_deferred=True)
    expired = approvals.expire(db, slug, now)
    report = dispatch_tenant(db, clients, slug, now, lease=lease, limit=limit)
    with db.for_tenant(slug) as scope:
        check_send_volume(scope, clients.alerts, now)
        check_policy_block_spike(scope, clients.alerts, now)
    extra = f", deferred retried {len(retried)}" if retried else ""
    extra += f", approvals expired {expired}" if expired else ""
    return report.line() + extra
