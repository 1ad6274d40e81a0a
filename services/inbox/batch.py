"""Store a batch of ingested mail in one transaction: each message once, linked and acted upon.

A message is unique per (tenant, message_key). The same key with the same content is a duplicate
and skipped; the same key with different content is kept, under `<key>#<hash>`, quarantined with
the reason, so nothing is silently dropped and a re-run stores nothing twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from agent.mail.batch import IngestCounts, Item
from resources.database import TenantScope
from resources.store.contacts import Known, chunks, upsert_contacts
from resources.store.documents import insert_documents
from resources.store.files import store_attachment, store_quarantined
from resources.store.messages import insert_messages
from resources.store.schema import deals, messages, orders, quotes
from services.inbox.outcomes import record_outcomes


def store_batch(
    scope: TenantScope, items: list[Item], own: list[str], now: datetime
) -> IngestCounts:
    counts = IngestCounts(fetched=len(items))
    fresh = _drop_duplicates(scope, items, counts)
    active = [i for i in fresh if not i.quarantine]
    people = upsert_contacts(scope, active, own, counts)
    links = _links(scope, active, people)
    rows = [_message_row(scope.tenant.slug, item, people, links) for item in fresh]
    ids = insert_messages(scope, rows)
    for item in fresh:
        counts.new += 1
        if item.quarantine:
            counts.quarantined += 1
        counts.per_class[item.facts.label.name if item.facts else "quarantined"] += 1
    record_outcomes(scope, active, ids, people, now, counts)
    counts.attachments += _attachments(scope, active, ids,
                                       {r["message_key"]: r for r in rows})
    return counts


def _drop_duplicates(scope: TenantScope, items: list[Item], counts: IngestCounts) -> list[Item]:
    variants = {i.msg.message_key: f"{i.msg.message_key}#{i.msg.content_hash[:16]}" for i in items}
    seen = {
        k: h or ""
        for k, h in _by_key(scope, [*variants, *variants.values()], messages.c.content_hash).items()
    }
    fresh = []
    for item in items:
        key, digest = item.msg.message_key, item.msg.content_hash
        if key in seen and seen[key] != digest:
            key = f"{key}#{digest[:16]}"
            item.quarantine = f"duplicate Message-ID {item.msg.message_key} with different content"
            item.msg.message_key = key
        if key in seen:
            counts.duplicate += 1
            continue
        seen[key] = digest
        fresh.append(item)
    return fresh


def _by_key(scope: TenantScope, keys: list[str], column: sa.Column) -> dict[str, Any]:
    """`column` of the stored messages with these keys, by key."""
    found: dict[str, Any] = {}
    for part in chunks(keys):
        rows = scope.execute(
            scope.select(messages.c.message_key, column).where(messages.c.message_key.in_(part))
        )
        found.update(dict(rows.all()))
    return found


def _links(scope: TenantScope, items: list[Item], people: dict[str, Known]) -> dict[str, Any]:
    """Order and quote ids by the numbers mail mentions; open deals by contact."""
    numbers: dict[str, set[str]] = {"order": set(), "quote": set()}
    for item in items:
        for ref in item.facts.references if item.facts else []:
            numbers.setdefault(ref.kind, set()).add(ref.number)
    found: dict[str, Any] = {
        "order": _numbered(scope, orders, orders.c.order_number, numbers["order"]),
        "quote": _numbered(scope, quotes, quotes.c.quote_number, numbers["quote"]),
        "deals": {},
    }
    contact_ids = list({k.id for k in people.values()})
    for part in chunks(contact_ids):
        rows = scope.execute(
            scope.select(deals.c.contact_id, deals.c.id).where(
                deals.c.contact_id.in_(part), deals.c.stage.not_in(["won", "lost"])
            )
        )
        for contact_id, deal_id in rows:
            found["deals"].setdefault(contact_id, []).append(deal_id)
    return found


def _numbered(scope: TenantScope, table: sa.Table, column: Any, wanted: set[str]) -> dict[str, int]:
    """Exact numbers, and bare digits against numbers written with a prefix (12345 → ORD-12345)."""
    if not wanted:
        return {}
    digits = [n for n in wanted if n.isdigit()]
    condition = column.in_(wanted)
    for n in digits:
        condition = condition | column.like(f"%-{n}")
    rows = scope.execute(scope.select(column, table.c.id).where(condition)).all()
    found = {number: id_ for number, id_ in rows}
    for n in digits:
        match = next((id_ for number, id_ in rows if number.endswith(f"-{n}")), None)
        if match is not None:
            found.setdefault(n, match)
    return found


def _message_row(tenant: str, item: Item, people: dict[str, Known], links: dict) -> dict[str, Any]:
    msg, facts = item.msg, item.facts
    counterpart = (
        msg.sender
        if item.direction == "in"
        else next((a for a in [*msg.to, *msg.cc] if a.email in people), None)
    )
    contact = people.get(counterpart.email) if counterpart else None
    link: dict[str, Any] = {}
    if contact:
        link["contact"] = {
            "id": contact.id,
            "rule": f"{'sender' if item.direction == 'in' else 'recipient'} address",
        }
        if contact.account_id:
            link["account"] = {"id": contact.account_id, "rule": "the contact's account"}
        if links["deals"].get(contact.id):
            link["deals"] = [
                {"id": d, "rule": "open deal of the contact"} for d in links["deals"][contact.id]
            ]
    for ref in facts.references if facts else []:
        found = links.get(ref.kind, {}).get(ref.number)
        if found:
            link.setdefault(f"{ref.kind}s", []).append(
                {"id": found, "number": ref.number, "rule": ref.rule}
            )
    errors = list(msg.errors)
    if item.quarantine:
        errors.insert(0, item.quarantine)
    return {
        "message_key": msg.message_key,
        "message_id_header": msg.message_id_header,
        "thread_key": msg.thread_key,
        "in_reply_to": msg.in_reply_to,
        "references": " ".join(msg.references) or None,
        "direction": item.direction,
        "folder": item.raw.folder,
        "source_key": item.raw.source_key,
        "from_addr": msg.sender.email if msg.sender else None,
        "to_addrs": [a.email for a in msg.to],
        "cc_addrs": [a.email for a in msg.cc],
        "subject": msg.subject,
        "sent_at": msg.sent_at,
        "body_text": msg.body_text,
        "classification": facts.label.name if facts else None,
        "classification_reason": facts.label.reason if facts else None,
        "contact_id": contact.id if contact else None,
        "account_id": contact.account_id if contact else None,
        "links": link or None,
        "content_hash": msg.content_hash,
        "status": "quarantined" if item.quarantine else "stored",
        "error": "; ".join(errors) or None,
        "raw_path": str(store_quarantined(tenant, msg.message_key, item.raw.data))
        if item.quarantine
        else None,
    }


def _attachments(scope: TenantScope, items: list[Item], ids: dict[str, int],
                 stored: dict[str, dict]) -> int:
    """Hand attachments to the documents library: the file on disk and a documents row linked
    to its message, the sender's account and the first order the message names."""
    rows = []
    for item in items:
        message = stored.get(item.msg.message_key) or {}
        orders = (message.get("links") or {}).get("orders") or [{}]
        for attachment in item.msg.attachments:
            if attachment.data is None or item.msg.message_key not in ids:
                continue
            path, digest = store_attachment(scope.tenant.slug, attachment.filename, attachment.data)
            rows.append(
                {
                    "filename": attachment.filename,
                    "path": str(path),
                    "content_type": attachment.content_type,
                    "size_bytes": attachment.size,
                    "sha256": digest,
                    "source": "attachment",
                    "message_id": ids[item.msg.message_key],
                    "account_id": message.get("account_id"),
                    "order_id": orders[0].get("id"),
                }
            )
    return insert_documents(scope, rows)
