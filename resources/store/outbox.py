"""Outbox rows through their lifecycle, each step a short transaction of its own.

    pending --claim--> claimed --about to hand over--> sending --reply--> sent
       ^                  |                               |          \\--> failed | pending (retry)
       |                  |  lease expired (no delivery   |  lease expired or connection lost
       \\------------------/  can have begun: safe to retry) \\--> delivery_unknown

A row is `claimed` by one dispatcher (compare-and-set on the status, so two dispatchers never
both win it) while it is checked and prepared: nothing has left yet, so a dispatcher that dies
here leaves a claim that simply expires back to `pending`. Before the provider takes the
message (SMTP DATA; for mail the step overlaps MAIL FROM and RCPT TO, see handover.py) the row
becomes `sending`, and only the claim's owner may make that step; a refusal before DATA settles
it as usual. A dispatcher that dies between `sending` and recording the reply leaves the one
window where delivery cannot be known: the row is never resent blindly; it becomes
`delivery_unknown`, is reconciled against the mailbox's Sent folder where that is possible, and
otherwise raises an alert for a person (`steward outbox resolve`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from agent.retry import next_delivery
from resources.database import Database, TenantScope
from resources.store.schema import outbox


class LeaseLost(RuntimeError):
    """Another dispatcher recovered this row while we held it: we must not send it."""


def due(db: Database, slug: str, now: datetime, limit: int, kinds: tuple[str, ...] | None):
    with db.for_tenant(slug) as scope:
        query = (
            scope.select(outbox)
            .where(outbox.c.status == "pending")
            .where(sa.or_(outbox.c.not_before.is_(None), outbox.c.not_before <= now))
            .order_by(outbox.c.priority.desc(), outbox.c.id)
            .limit(limit)
        )
        if kinds is not None:
            query = query.where(outbox.c.kind.in_(kinds))
        return [dict(r) for r in scope.execute(query).mappings()]


def claim(db: Database, slug: str, row_id: int, worker: str, now: datetime) -> bool:
    with db.for_tenant(slug) as scope:
        result = scope.execute(
            sa.update(outbox)
            .where(outbox.c.id == row_id, outbox.c.status == "pending")
            .values(
                status="claimed",
                claimed_at=now,
                claimed_by=worker,
                attempts=outbox.c.attempts + 1,
                updated_at=now,
            )
        )
        return result.rowcount == 1


def claim_many(db: Database, slug: str, row_ids: list[int], worker: str, now: datetime) -> set[int]:
    """Claim several rows in one statement; the ids this dispatcher won."""
    if not row_ids:
        return set()
    with db.for_tenant(slug) as scope:
        won = scope.execute(
            sa.update(outbox)
            .where(outbox.c.id.in_(row_ids), outbox.c.status == "pending")
            .values(
                status="claimed",
                claimed_at=now,
                claimed_by=worker,
                attempts=outbox.c.attempts + 1,
                updated_at=now,
            )
            .returning(outbox.c.id)
        )
        return {r.id for r in won}


def mark_sending(
    db: Database, slug: str, row_id: int, worker: str, now: datetime, message_id: str | None = None
) -> None:
    """The row is about to be handed over; mail under `message_id` (without <>), kept from here
    on so a bounce or complaint naming it finds the row even when the outcome is unknown."""
    with db.for_tenant(slug) as scope:
        result = scope.execute(
            sa.update(outbox)
            .where(
                outbox.c.id == row_id,
                outbox.c.status == "claimed",
                outbox.c.claimed_by == worker,
            )
            .values(status="sending", claimed_at=now, updated_at=now, message_id=message_id)
        )
        if result.rowcount != 1:
            raise LeaseLost(f"outbox row {row_id} was taken back from {worker}")


def settle(db: Database, slug: str, row_id: int, now: datetime, **values: Any) -> None:
    """Record the outcome of a row this dispatcher holds (claimed or sending)."""
    with db.for_tenant(slug) as scope:
        scope.execute(
            sa.update(outbox).where(outbox.c.id == row_id).values(updated_at=now, **values)
        )


def release(db: Database, slug: str, row_id: int, now: datetime, reason: str) -> None:
    """Give a claimed row back untouched (a switch went on): it stays due, the attempt uncounted."""
    settle(
        db,
        slug,
        row_id,
        now,
        status="pending",
        claimed_by=None,
        claimed_at=None,
        attempts=outbox.c.attempts - 1,
        last_error=reason,
    )


def put_back(scope: TenantScope, row_id: int, until: datetime, reason: str, now: datetime) -> None:
    """A row the provider refused for now (a throttle) is due again at `until`, its attempt
    uncounted: it did not fail, it was asked to wait."""
    scope.execute(
        sa.update(outbox)
        .where(outbox.c.id == row_id)
        .values(status="pending", not_before=until, claimed_by=None, claimed_at=None,
                attempts=outbox.c.attempts - 1, last_error=reason, updated_at=now)
    )


def defer(
    scope: TenantScope, row_ids: list[int], until: datetime, reason: str, now: datetime
) -> int:
    """Put due rows off until `until` without claiming them or counting an attempt (their
    delivery waits for a fix, it did not fail); returns the rows deferred."""
    return scope.execute(
        sa.update(outbox)
        .where(outbox.c.id.in_(row_ids), outbox.c.status == "pending")
        .values(not_before=until, last_error=reason, updated_at=now)
    ).rowcount


def readdress(db: Database, slug: str, row_id: int, payload: dict[str, Any], now: datetime) -> None:
    """A claimed row's payload with the sender it goes out from, stored before the message is
    built so that the Message-ID reconciliation looks for (derived from the sender) is the one
    sent."""
    settle(db, slug, row_id, now, payload=payload)


def retry_or_fail(db: Database, slug: str, row: dict[str, Any], now: datetime, reason: str) -> str:
    values = retry_values(row, now, reason)
    settle(db, slug, row["id"], now, claimed_by=None, **values)
    return "retry" if values["status"] == "pending" else "failed"


def retry_values(row: dict[str, Any], now: datetime, reason: str) -> dict[str, Any]:
    """What a failed attempt leaves on a claimed row: due again after the one backoff rule
    (agent.retry: a minute, doubling, at most an hour), or failed once the attempts are used up."""
    due = next_delivery(row["attempts"] + 1, now)  # the claim counted this attempt already
    if due is None:
        return {"status": "failed", "last_error": reason}
    return {
        "status": "pending",
        "not_before": due,
        "last_error": reason,
        "claimed_at": None,
    }


def expire_claims(db: Database, slug: str, now: datetime, lease: timedelta) -> tuple[int, list]:
    """Claims older than the lease go back to pending (nothing can have left); rows left in
    `sending` become delivery_unknown. Returns (claims released, rows now unknown)."""
    stale = now - lease
    with db.for_tenant(slug) as scope:
        released = scope.execute(
            sa.update(outbox)
            .where(outbox.c.status == "claimed", outbox.c.claimed_at < stale)
            .values(status="pending", claimed_by=None, claimed_at=None, updated_at=now)
        ).rowcount
        scope.execute(
            sa.update(outbox)
            .where(outbox.c.status == "sending", outbox.c.claimed_at < stale)
            .values(
                status="delivery_unknown",
                last_error="the dispatcher stopped after handing the message over and before "
                "recording the reply",
                updated_at=now,
            )
        )
        unknown = [
            dict(r)
            for r in scope.execute(
                scope.select(outbox).where(outbox.c.status == "delivery_unknown")
            ).mappings()
        ]
    return released, unknown


def queue(scope: TenantScope, rows: list[dict[str, Any]]) -> None:
    """New rows the gate allowed; a key already queued is skipped, so nothing is queued twice."""
    if rows:
        scope.insert(outbox, rows, skip_conflicts_on=["tenant_id", "idempotency_key"])


def record_outcomes(
    scope: TenantScope, shapes: dict[tuple[str, ...], list[dict[str, Any]]], now: datetime
) -> None:
    """Outcomes of rows handled as one batch, one UPDATE per shape of outcome (the names of
    the columns it sets), run for all its rows at once: each param dict holds `row_id` and
    `v_<column>` for each column of its shape. The claim is let go."""
    for names, params in shapes.items():
        scope.execute(
            sa.update(outbox)
            .where(outbox.c.id == sa.bindparam("row_id"))
            .values(updated_at=now, claimed_by=None, **{k: sa.bindparam(f"v_{k}") for k in names}),
            params,
        )
