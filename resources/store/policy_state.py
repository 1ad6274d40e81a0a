"""Gather what the policy engine needs about one tenant in a handful of set-based queries.

The rules then run in memory over the whole batch (see agent/policy.py): reading suppressions,
last touches and open requests once per batch instead of once per action is what makes the gate
fast. Whether goals are behind comes from the caller; the compliance checks escalated to the
tenant's manager (the `compliance_due` basis for a human task) are read here.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from agent.killswitch import KillState
from agent.policy import PolicyState
from resources.database import TenantScope
from resources.database.clock import aware
from resources.store import ratelimit
from resources.store.compliance import escalated_ids
from resources.store.messages import questions_since
from resources.store.schema import (
    contacts,
    deals,
    messages,
    outbox,
    signals,
    suppressions,
)
from resources.store.suppressions import every_reason

LIVE_OUTBOX = ("pending", "claimed", "sending", "sent", "dry_run", "delivery_unknown")


def load_state(
    scope: TenantScope,
    now: datetime,
    kill: KillState,
    goals_behind: bool = False,
    compliance_due: frozenset[int] | None = None,
    engagement_violations: int | None = None,
    addresses: frozenset[str] | None = None,
) -> PolicyState:
    """`engagement_violations`, when the caller has run the engagement engine, replaces the
    quick count (which reads contacts.last_touch_at, where inbound mail counts too).
    `addresses`, when the caller knows every target it will evaluate, limits the last touches
    read to theirs: the policy looks a touch up by its action's address only, and reading every
    contact's was the larger part of the state load."""
    settings = scope.tenant.settings
    return PolicyState(
        settings=settings,
        timezone=scope.tenant.timezone,
        kill=kill,
        suppressed=every_reason(scope),
        last_touch=_last_touches(scope, addresses),
        ooo_until=_out_of_office(scope, now),
        request_signals=_open_requests(scope),
        client_questions=_recent_questions(scope, now),
        compliance_due=compliance_due if compliance_due is not None else escalated_ids(scope),
        engagement_violations=engagement_violations
        if engagement_violations is not None
        else _engagement_violations(scope, now),
        goals_behind=goals_behind,
        pipeline_thin=_open_deals(scope) < settings.thresholds.thin_pipeline_deals,
        usage=ratelimit.usage(scope, now),
    )


def _last_touches(scope: TenantScope, addresses: frozenset[str] | None) -> dict[str, datetime]:
    """Our last touch per address (of `addresses` only, when given): the latest touch that is
    not inbound, which the contact keeps as its touches are written (migration 0019, the same
    clock the engagement engine reads), and mail already queued or sent."""
    if addresses is not None and not addresses:
        return {}
    email, target = sa.func.lower(contacts.c.email), sa.func.lower(outbox.c.target)
    touched = scope.select(
        email.label("email"), contacts.c.last_outbound_at.label("at")
    ).where(contacts.c.last_outbound_at.is_not(None), contacts.c.email.is_not(None))
    queued = scope.select(
        target.label("email"),
        sa.func.coalesce(outbox.c.sent_at, outbox.c.created_at).label("at"),
    ).where(outbox.c.kind.in_(("send_email", "follow_up")), outbox.c.status.in_(LIVE_OUTBOX))
    if addresses is not None:
        touched = touched.where(email.in_(sorted(addresses)))
        queued = queued.where(target.in_(sorted(addresses)))
    both = sa.union_all(touched, queued).subquery()
    rows = scope.execute(
        sa.select(both.c.email, sa.func.max(both.c.at).label("at")).group_by(both.c.email)
    )
    return {r.email: aware(r.at) for r in rows if r.email and r.at}


def _out_of_office(scope: TenantScope, now: datetime) -> dict:
    rows = scope.execute(
        scope.select(sa.func.lower(contacts.c.email).label("email"), contacts.c.ooo_until).where(
            contacts.c.ooo_until >= (now - timedelta(days=1)).date(), contacts.c.email.is_not(None)
        )
    )
    return {r.email: r.ooo_until for r in rows}


def _open_requests(scope: TenantScope) -> frozenset[int]:
    rows = scope.execute(
        scope.select(signals.c.id).where(
            signals.c.kind == "human_request", signals.c.actioned_at.is_(None)
        )
    )
    return frozenset(r.id for r in rows)


def _recent_questions(scope: TenantScope, now: datetime) -> frozenset[int]:
    """Inbound questions young enough to be answered (agent/answers.py): the evidence of a
    `client_question` task."""
    hours = scope.tenant.settings.thresholds.inquiry_answer_hours
    since = now - timedelta(hours=hours + 1)
    rows = scope.execute(scope.select(messages.c.id).where(*questions_since(since)))
    return frozenset(r.id for r in rows)


def _engagement_violations(scope: TenantScope, now: datetime) -> int:
    """Contacts with an address whose last touch (or, never touched, whose creation) is older
    than the engagement period; suppressed addresses cannot be touched and do not count."""
    cutoff = now - timedelta(days=scope.tenant.settings.thresholds.engagement_days)
    suppressed = scope.select(sa.func.lower(suppressions.c.email))
    return int(
        scope.scalar(
            scope.select(sa.func.count())
            .select_from(contacts)
            .where(
                contacts.c.email.is_not(None),
                sa.func.coalesce(contacts.c.last_touch_at, contacts.c.created_at) < cutoff,
                sa.func.lower(contacts.c.email).not_in(suppressed),
            )
        )
    )


def _open_deals(scope: TenantScope) -> int:
    return int(
        scope.scalar(
            scope.select(sa.func.count())
            .select_from(deals)
            .where(deals.c.stage.not_in(("won", "lost")))
        )
    )
