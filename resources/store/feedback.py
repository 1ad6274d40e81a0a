"""The `feedback` table: one feedback request per delivered order, with its scored answer, and
what the feedback engine reads beside it (the orders, their contacts, replies to the requests).
services/cadence/feedback.py decides what to write."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from resources.database import TenantScope
from resources.database.clock import aware
from resources.store.contacts import chunks
from resources.store.schema import (
    cadence_enrollments,
    contacts,
    feedback,
    messages,
    orders,
    outbox,
    touches,
)

# What a feedback row needs of its order and contact, read in the same query.
ORDER_COLUMNS = (
    orders.c.order_number,
    orders.c.delivered_at,
    orders.c.status.label("order_status"),
    contacts.c.email,
    contacts.c.first_name,
    contacts.c.ooo_until,
)


def unscheduled(scope: TenantScope) -> list[dict[str, Any]]:
    """Delivered orders (not cancelled) that have no feedback row yet."""
    query = (
        scope.select(orders.c.id, orders.c.account_id, orders.c.contact_id, orders.c.delivered_at,
                     contacts.c.account_id.label("contact_account_id"))
        .select_from(orders)
        .outerjoin(contacts, contacts.c.id == orders.c.contact_id)
        .outerjoin(feedback, feedback.c.order_id == orders.c.id)
        .where(orders.c.delivered_at.is_not(None), orders.c.status != "cancelled",
               feedback.c.id.is_(None))
    )
    return [dict(r) for r in scope.execute(query).mappings()]


def add(scope: TenantScope, rows: list[dict[str, Any]]) -> int:
    return scope.insert(feedback, rows, skip_conflicts_on=("tenant_id", "order_id"))


def with_orders(scope: TenantScope, where: Any) -> list[dict[str, Any]]:
    """Feedback rows matching `where`, each with its order's number, delivery and status and
    its contact's address, name and out-of-office date."""
    query = (
        scope.select(feedback, *ORDER_COLUMNS)
        .select_from(feedback)
        .outerjoin(orders, orders.c.id == feedback.c.order_id)
        .outerjoin(contacts, contacts.c.id == feedback.c.contact_id)
        .where(where)
        .order_by(feedback.c.id)
    )
    return [dict(r) for r in scope.execute(query).mappings()]


def by_orders(scope: TenantScope, order_ids: list[int]) -> dict[int, dict[str, Any]]:
    found: dict[int, dict[str, Any]] = {}
    for part in chunks(order_ids):
        found.update({r["order_id"]: r for r in with_orders(scope, feedback.c.order_id.in_(part))})
    return found


def update_many(scope: TenantScope, rows: list[dict[str, Any]], now: datetime) -> None:
    """Each row's values (with its `id`) on its feedback row, batched: a tenant's first cycle
    settles every order it ever delivered."""
    scope.update_rows(feedback, [{**row, "updated_at": now} for row in rows])


def update(scope: TenantScope, feedback_id: int, now: datetime, **values: Any) -> None:
    scope.execute(
        sa.update(feedback).where(feedback.c.id == feedback_id).values(updated_at=now, **values)
    )


def sent_messages(scope: TenantScope, keys: list[str]) -> dict[str, dict[str, Any]]:
    """The outbox rows of these keys that went out: when, and under which Message-ID (kept on
    the row for mail over SMTP; a dry run's is the `<id>` its provider_ref starts with)."""
    found: dict[str, dict[str, Any]] = {}
    for part in chunks(keys):
        rows = scope.execute(
            scope.select(outbox.c.idempotency_key, outbox.c.sent_at, outbox.c.updated_at,
                         outbox.c.message_id, outbox.c.provider_ref)
            .where(outbox.c.idempotency_key.in_(part),
                   outbox.c.status.in_(("sent", "dry_run", "delivered")))
        ).mappings()
        for r in rows:
            ref = r["provider_ref"] or ""
            mid = r["message_id"] or (ref[1:].partition(">")[0] if ref.startswith("<") else None)
            found[r["idempotency_key"]] = {"sent_at": aware(r["sent_at"] or r["updated_at"]),
                                           "message_id": mid}
    return found


REPLY_COLUMNS = (messages.c.id, messages.c.message_id_header, messages.c.in_reply_to,
                 messages.c.thread_key, messages.c.contact_id, messages.c.classification,
                 messages.c.links, messages.c.body_text, messages.c.subject,
                 sa.func.coalesce(messages.c.sent_at, messages.c.created_at).label("at"))


def person_replies(scope: TenantScope, message_ids: list[str], contact_ids: list[int],
                   since: datetime) -> list[dict[str, Any]]:
    """Inbound mail from a person (ingest gave it an inbound touch: machine mail never gets one),
    not an opt-out and not already the scored answer of an order, that answers one of these
    Message-IDs (In-Reply-To, or the thread it started), or that ingest classified as a feedback
    reply from one of these contacts since `since`; oldest first."""
    person = sa.exists().where(touches.c.message_id == messages.c.id,
                               touches.c.touch_type == "email_in")
    scored = sa.exists().where(feedback.c.reply_message_id == messages.c.id,
                               feedback.c.status == "answered")
    base = scope.select(*REPLY_COLUMNS).where(
        messages.c.direction == "in", messages.c.status == "stored", person, ~scored,
        sa.or_(messages.c.classification.is_(None), messages.c.classification != "unsubscribe"))
    found: dict[int, dict[str, Any]] = {}
    for part in chunks(message_ids):
        query = base.where(sa.or_(messages.c.in_reply_to.in_(part),
                                  messages.c.thread_key.in_(part)))
        found.update({r["id"]: dict(r) for r in scope.execute(query).mappings()})
    for part in chunks(contact_ids):
        query = base.where(messages.c.classification == "feedback_reply",
                           messages.c.contact_id.in_(part),
                           sa.func.coalesce(messages.c.sent_at, messages.c.created_at) >= since)
        found.update({r["id"]: dict(r) for r in scope.execute(query).mappings()})
    return sorted(found.values(), key=lambda r: (aware(r["at"]), r["id"]))


def listing(scope: TenantScope, status: str | None, sentiment: str | None,
            limit: int) -> list[dict[str, Any]]:
    """The newest feedback rows first, of one status or sentiment when given."""
    where = sa.true()
    if status:
        where = sa.and_(where, feedback.c.status == status)
    if sentiment:
        where = sa.and_(where, feedback.c.sentiment == sentiment)
    query = (
        scope.select(feedback, *ORDER_COLUMNS)
        .select_from(feedback)
        .outerjoin(orders, orders.c.id == feedback.c.order_id)
        .outerjoin(contacts, contacts.c.id == feedback.c.contact_id)
        .where(where)
        .order_by(feedback.c.id.desc())
        .limit(limit)
    )
    return [dict(r) for r in scope.execute(query).mappings()]


def get(scope: TenantScope, feedback_id: int) -> dict[str, Any] | None:
    found = with_orders(scope, feedback.c.id == feedback_id)
    return found[0] if found else None


def message(scope: TenantScope, message_id: int) -> dict[str, Any] | None:
    row = scope.execute(
        scope.select(messages.c.id, messages.c.message_id_header, messages.c.from_addr,
                     messages.c.subject, messages.c.classification, messages.c.sent_at)
        .where(messages.c.id == message_id)
    ).mappings().first()
    return dict(row) if row else None


def coverage(scope: TenantScope, delivered_before: datetime, cadence: str) -> list[dict[str, Any]]:
    """Orders delivered before `delivered_before` (not cancelled) with their feedback row, if
    any, and the request enrollment's waiting note."""
    query = (
        scope.select(orders.c.id.label("order_id"), orders.c.order_number,
                     orders.c.delivered_at, feedback.c.id.label("feedback_id"), feedback.c.status,
                     feedback.c.due_at, feedback.c.requested_at, feedback.c.skip_reason,
                     cadence_enrollments.c.waiting, cadence_enrollments.c.end_reason)
        .select_from(orders)
        .outerjoin(feedback, feedback.c.order_id == orders.c.id)
        .outerjoin(cadence_enrollments, sa.and_(cadence_enrollments.c.cadence == cadence,
                                                cadence_enrollments.c.entity_id == orders.c.id))
        .where(orders.c.delivered_at.is_not(None), orders.c.delivered_at <= delivered_before,
               orders.c.status != "cancelled")
        .order_by(orders.c.id)
    )
    return [dict(r) for r in scope.execute(query).mappings()]
