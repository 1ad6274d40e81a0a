"""The `delivery_feedback` table: what receivers said about mail we sent (bounces with their reason
and outcome, spam complaints), one row per report and address, and the outbox rows they answer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from agent.policy import address_of
from resources.database import TenantScope
from resources.store.contacts import chunks
from resources.store.schema import delivery_feedback, outbox, suppressions


def sent_under(scope: TenantScope, message_ids: set[str]) -> dict[str, dict[str, Any]]:
    """The outbox rows that went out under these Message-IDs (without <>): id and the address
    it was sent to, by Message-ID."""
    found: dict[str, dict[str, Any]] = {}
    for part in chunks(sorted(message_ids)):
        rows = scope.execute(
            scope.select(outbox.c.message_id, outbox.c.id, outbox.c.target).where(
                outbox.c.message_id.in_(part)
            )
        )
        for message_id, row_id, target in rows:
            found[message_id] = {"id": row_id, "to": address_of(target)}
    return found


def record_feedback(scope: TenantScope, rows: list[dict[str, Any]]) -> int:
    """Each report's word on each address once: a re-run of the same mail adds nothing."""
    return scope.insert(
        delivery_feedback, rows, skip_conflicts_on=("tenant_id", "message_id", "email")
    )


def soft_failures(
    scope: TenantScope, emails: set[str], since: datetime
) -> dict[str, list[dict[str, Any]]]:
    """Soft bounces since `since` of each address, oldest first."""
    found: dict[str, list[dict[str, Any]]] = {}
    for part in chunks(sorted(emails)):
        rows = scope.execute(
            scope.select(
                delivery_feedback.c.email,
                delivery_feedback.c.reason,
                delivery_feedback.c.evidence,
                delivery_feedback.c.message_id,
                delivery_feedback.c.occurred_at,
            )
            .where(
                delivery_feedback.c.email.in_(part),
                delivery_feedback.c.outcome == "soft",
                delivery_feedback.c.occurred_at > since,
            )
            .order_by(delivery_feedback.c.occurred_at, delivery_feedback.c.id)
        ).mappings()
        for row in rows:
            found.setdefault(row["email"], []).append(dict(row))
    return found


def complaints_since(scope: TenantScope, since: datetime, until: datetime) -> int:
    return int(
        scope.scalar(
            scope.select(sa.func.count())
            .select_from(delivery_feedback)
            .where(
                delivery_feedback.c.kind == "complaint",
                delivery_feedback.c.occurred_at > since,
                delivery_feedback.c.occurred_at <= until,
            )
        )
    )


def summary(scope: TenantScope, since: datetime) -> dict[str, dict[str, int]]:
    """Bounces and complaints since `since` by reason, and the suppressions bounces and
    complaints have caused that are in force, by reason (bounce:user_unknown, complaint...)."""
    by_reason = scope.execute(
        scope.select(delivery_feedback.c.reason, sa.func.count())
        .where(delivery_feedback.c.occurred_at > since)
        .group_by(delivery_feedback.c.reason)
    ).all()
    caused = scope.execute(
        scope.select(suppressions.c.reason, sa.func.count())
        .where(
            sa.or_(suppressions.c.reason.like("bounce:%"), suppressions.c.reason == "complaint")
        )
        .group_by(suppressions.c.reason)
    ).all()
    return {"feedback": dict(sorted(by_reason)), "suppressed": dict(sorted(caused))}
