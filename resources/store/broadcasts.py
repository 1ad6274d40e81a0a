"""The `broadcasts` and `broadcast_recipients` tables (services/broadcasts decides what to write;
agent/broadcast.py holds the rules).

A campaign's status changes by compare-and-set on the status it was read in, so a pause and a
batch planned at the same moment cannot both win. A recipient row follows its mail: `pending`
until a batch takes it, `queued` while its outbox row is on its way, then what the outbox
recorded (sent, skipped with the refusal, failed), then what came back after it was sent (a
bounce, an unsubscribe or a complaint, a reply), read from the tables where ingest keeps them.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from agent.broadcast import Stats
from resources.database import TenantScope
from resources.store.schema import (
    broadcast_recipients,
    broadcasts,
    delivery_feedback,
    messages,
    outbox,
    suppressions,
)

# Outbox outcomes a recipient row takes over once its mail has settled.
SETTLED = {"sent": "sent", "delivered": "sent", "dry_run": "sent", "blocked": "skipped",
           "failed": "failed", "cancelled": "skipped"}
# Inbound mail that is not an answer from the person (ingest's classifications).
NOT_REPLIES = ("bounce", "unsubscribe", "out_of_office", "auto_reply", "complaint")


class BroadcastError(ValueError):
    """A campaign cannot be created or changed as asked; the message says why."""


def create(scope: TenantScope, row: dict[str, Any]) -> int:
    if find(scope, row["name"]) is not None:
        raise BroadcastError(f"a campaign named {row['name']!r} exists: choose another name")
    scope.insert(broadcasts, row)
    return int(scope.scalar(scope.select(broadcasts.c.id).where(broadcasts.c.name == row["name"])))


def find(scope: TenantScope, name_or_id: str | int) -> dict[str, Any] | None:
    """A campaign by name, or by id when given a number."""
    text = str(name_or_id)
    where = broadcasts.c.id == int(text) if text.isdigit() else broadcasts.c.name == text
    row = scope.execute(scope.select(broadcasts).where(where)).mappings().first()
    return dict(row) if row else None


def listing(scope: TenantScope, statuses: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
    query = scope.select(broadcasts).order_by(broadcasts.c.id)
    if statuses:
        query = query.where(broadcasts.c.status.in_(statuses))
    return [dict(r) for r in scope.execute(query).mappings()]


def change(scope: TenantScope, broadcast_id: int, was: tuple[str, ...], now: datetime,
           **values: Any) -> bool:
    """Set `values` if the campaign is still in one of the statuses `was`; False if it moved."""
    return scope.execute(
        sa.update(broadcasts)
        .where(broadcasts.c.id == broadcast_id, broadcasts.c.status.in_(was))
        .values(updated_at=now, **values)
    ).rowcount == 1


def freeze(scope: TenantScope, broadcast_id: int, rows: list[dict[str, Any]]) -> int:
    """The audience's rows; a contact already frozen is skipped (a start retried after a crash)."""
    return scope.insert(broadcast_recipients,
                        [{**r, "broadcast_id": broadcast_id} for r in rows],
                        skip_conflicts_on=["tenant_id", "broadcast_id", "contact_id"])


def in_batch(scope: TenantScope, broadcast_id: int, batch: int) -> list[dict[str, Any]]:
    query = scope.select(broadcast_recipients).where(
        broadcast_recipients.c.broadcast_id == broadcast_id,
        broadcast_recipients.c.batch == batch).order_by(broadcast_recipients.c.id)
    return [dict(r) for r in scope.execute(query).mappings()]


def campaign_of(scope: TenantScope, outbox_key: str) -> dict[str, Any] | None:
    """The campaign whose recipient's mail is under this outbox key."""
    found = scope.scalar(scope.select(broadcast_recipients.c.broadcast_id)
                         .where(broadcast_recipients.c.outbox_key == outbox_key))
    return find(scope, found) if found is not None else None


def next_pending(scope: TenantScope, broadcast_id: int, limit: int) -> list[dict[str, Any]]:
    query = scope.select(broadcast_recipients).where(
        broadcast_recipients.c.broadcast_id == broadcast_id,
        broadcast_recipients.c.status == "pending").order_by(broadcast_recipients.c.id).limit(limit)
    return [dict(r) for r in scope.execute(query).mappings()]


def update(scope: TenantScope, rows: list[dict[str, Any]], now: datetime) -> None:
    scope.update_rows(broadcast_recipients, [{**r, "updated_at": now} for r in rows])


def skip_pending(scope: TenantScope, broadcast_id: int, reason: str, now: datetime) -> int:
    return scope.execute(
        sa.update(broadcast_recipients)
        .where(broadcast_recipients.c.broadcast_id == broadcast_id,
               broadcast_recipients.c.status == "pending")
        .values(status="skipped", reason=reason, updated_at=now)
    ).rowcount


def hold_mail(scope: TenantScope, broadcast_id: int, status: str, back_to: str, why: str,
              now: datetime) -> int:
    """Move the campaign's outbox rows that have not been picked up from `back_to` to `status`
    (pending -> paused on a pause, paused -> pending on resume, -> cancelled on cancel). Rows a
    dispatcher already claimed go out: nothing is taken back mid-send."""
    keys = _queued_keys(scope, broadcast_id)
    rule = {"rule": "campaign_cancelled"} if status == "cancelled" else {}
    return scope.execute(
        sa.update(outbox)
        .where(outbox.c.idempotency_key.in_(keys), outbox.c.status == back_to)
        .values(status=status, last_error=why, updated_at=now, **rule)
    ).rowcount


def defer_mail(scope: TenantScope, broadcast_id: int, until: datetime, why: str,
               now: datetime) -> int:
    """The campaign's queued mail not yet picked up waits until `until` (a throttle)."""
    keys = _queued_keys(scope, broadcast_id)
    return scope.execute(
        sa.update(outbox)
        .where(outbox.c.idempotency_key.in_(keys), outbox.c.status == "pending",
               sa.or_(outbox.c.not_before.is_(None), outbox.c.not_before < until))
        .values(not_before=until, last_error=why, updated_at=now)
    ).rowcount


def _queued_keys(scope: TenantScope, broadcast_id: int) -> sa.Select:
    """The outbox keys of the campaign's mail that is on its way."""
    return (scope.select(broadcast_recipients.c.outbox_key)
            .where(broadcast_recipients.c.broadcast_id == broadcast_id,
                   broadcast_recipients.c.status == "queued"))


def refresh(scope: TenantScope, broadcast_id: int, now: datetime) -> None:
    """Bring the recipient rows up to date with their mail and what came back after it."""
    _settle_queued(scope, broadcast_id, now)
    _after_sending(scope, broadcast_id, now)


def _settle_queued(scope: TenantScope, broadcast_id: int, now: datetime) -> None:
    r = broadcast_recipients
    rows = scope.execute(
        scope.select(r.c.id, outbox.c.status, outbox.c.sent_at, outbox.c.rule,
                     outbox.c.last_error)
        .join(outbox, outbox.c.idempotency_key == r.c.outbox_key)
        .where(r.c.broadcast_id == broadcast_id, r.c.status == "queued",
               outbox.c.status.in_(tuple(SETTLED)))
    ).all()
    update(scope, [{"id": row.id, "status": SETTLED[row.status],
                    "sent_at": row.sent_at if SETTLED[row.status] == "sent" else None,
                    "reason": _reason(row)}
                   for row in rows], now)


def _reason(row: Any) -> str | None:
    if row.status == "dry_run":
        return "dry_run: written as a file, not sent"
    return None if SETTLED[row.status] == "sent" else f"{row.rule}: {row.last_error}"


def _after_sending(scope: TenantScope, broadcast_id: int, now: datetime) -> None:
    r = broadcast_recipients
    sent = r.c.broadcast_id == broadcast_id, r.c.status.in_(("sent", "replied"))
    f = delivery_feedback
    feedback = scope.execute(
        scope.select(r.c.id, f.c.kind, f.c.reason)
        .join(f, sa.and_(f.c.email == r.c.address, f.c.occurred_at >= r.c.sent_at))
        .where(*sent)
    ).all()
    s, m = suppressions, messages
    # When the opt-out was written: its mail's date (ingest may run later), else the row's.
    said = sa.func.coalesce(m.c.sent_at, s.c.created_at)
    unsubscribed = scope.execute(
        scope.select(r.c.id)
        .join(s, s.c.email == r.c.address)
        .outerjoin(m, m.c.id == s.c.message_id)
        .where(*sent, s.c.reason == "unsubscribe", said >= r.c.sent_at)
    ).all()
    replies = scope.execute(
        scope.select(r.c.id).join(m, sa.and_(sa.func.lower(m.c.from_addr) == r.c.address,
                                             m.c.sent_at >= r.c.sent_at))
        .where(r.c.broadcast_id == broadcast_id, r.c.status == "sent", m.c.direction == "in",
               m.c.contact_id.is_not(None),
               sa.or_(m.c.classification.is_(None), m.c.classification.not_in(NOT_REPLIES)))
    ).all()
    found: dict[int, tuple[str, str | None]] = {row.id: ("replied", None) for row in replies}
    for row in unsubscribed:
        found[row.id] = ("unsubscribed", "unsubscribe")
    for row in feedback:
        if row.kind == "complaint":
            found[row.id] = ("unsubscribed", "complaint")
        elif found.get(row.id, ("",))[0] != "bounced":
            found[row.id] = ("bounced", row.reason)
    update(scope, [{"id": i, "status": status, "reason": reason}
                   for i, (status, reason) in found.items()], now)


def stats(scope: TenantScope, broadcast_id: int) -> Stats:
    r = broadcast_recipients
    rows = scope.execute(
        scope.select(r.c.status, r.c.reason, sa.func.count())
        .where(r.c.broadcast_id == broadcast_id).group_by(r.c.status, r.c.reason)
    ).all()
    by_status: Counter[str] = Counter()
    skipped: Counter[str] = Counter()
    complained = 0
    for status, reason, n in rows:
        by_status[status] += n
        if status == "skipped":
            skipped[_short(reason)] += n
        if status == "unsubscribed" and reason == "complaint":
            complained += n
    after = by_status["bounced"] + by_status["unsubscribed"] + by_status["replied"]
    return Stats(
        audience=sum(by_status.values()), pending=by_status["pending"] + by_status["queued"],
        sent=by_status["sent"] + after, skipped=dict(skipped), failed=by_status["failed"],
        bounced=by_status["bounced"], unsubscribed=by_status["unsubscribed"] - complained,
        complained=complained, replied=by_status["replied"])


def _short(reason: str | None) -> str:
    """A skip reason's kind: `suppressed`, `no address`... (the text before the first colon or
    parenthesis), so `status` can count them."""
    text = (reason or "unknown").split(":")[0].split("(")[0].strip()
    return text[:60] or "unknown"
