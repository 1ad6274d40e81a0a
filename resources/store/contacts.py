"""The `contacts` and `touches` tables: the people we hear from and write to, created from mail
and enriched from signatures, and the touches on their engagement clocks; and the profile of a
contact or an account (what compliance checks verify).

A field a person set by hand is never overwritten (provenance "manual"); see agent.mail.names.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from agent.mail.batch import IngestCounts, Item, is_own
from agent.mail.model import Address
from agent.mail.names import merge_contact, split_name
from agent.mail.signals import is_automatic
from resources.database import Database, TenantScope
from resources.store.schema import accounts, contacts, touches

SIGNATURE_FIELDS = ("phone", "title", "company", "linkedin_url", "address")


@dataclass(frozen=True)
class Known:
    id: int
    account_id: int | None


def chunks(values: list[Any], size: int = 500) -> Iterator[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _people(items: Iterable[Item], own: list[str]) -> dict[str, Address]:
    """Inbound: the sender. Outbound: everyone it went to. Never the tenant itself."""
    people: dict[str, Address] = {}
    for item in items:
        msg = item.msg
        found = [msg.sender] if item.direction == "in" else [*msg.to, *msg.cc]
        for address in found:
            if address and address.email and not is_own(address.email, own):
                people.setdefault(address.email, address)
    return people


def _machines(items: Iterable[Item]) -> set[str]:
    """Senders that are machines (daemons, auto-replies, bounces, reports, list mail): looked
    up, never created."""
    return {
        item.msg.sender.email
        for item in items
        if item.direction == "in"
        and item.msg.sender
        and (
            is_automatic(item.msg)
            or (item.facts and (item.facts.bounce or item.facts.machine))
        )
    }


def _load(scope: TenantScope, emails: list[str]) -> dict[str, dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    for part in chunks(emails):
        result = scope.execute(scope.select(contacts).where(contacts.c.email.in_(part)))
        rows.update({r["email"]: dict(r) for r in result.mappings()})
    return rows


def upsert_contacts(
    scope: TenantScope, items: list[Item], own: list[str], counts: IngestCounts
) -> dict[str, Known]:
    people = _people(items, own)
    current = _load(scope, list(people))
    machines = _machines(items)
    new_rows = []
    for email, address in people.items():
        if email in current or email in machines:
            continue
        first, last, full = split_name(address.name, email)
        named = {"first_name": first, "last_name": last, "full_name": full}
        new_rows.append(
            {
                "email": email,
                **named,
                "source": "mail",
                "provenance": {k: "header" for k, v in named.items() if v},
            }
        )
    counts.contacts_created += scope.insert(
        contacts, new_rows, skip_conflicts_on=("tenant_id", "email")
    )
    if new_rows:
        current.update(_load(scope, [r["email"] for r in new_rows]))
    counts.contacts_enriched += _enrich(scope, items, current)
    return {email: Known(row["id"], row["account_id"]) for email, row in current.items()}


def _enrich(scope: TenantScope, items: list[Item], current: dict[str, dict[str, Any]]) -> int:
    """Merge signature fields into the sender's contact, newest message last; each contact's
    changes are written once at the end, in one statement per set of changed fields."""
    enriched = 0
    changes: dict[int, dict[str, Any]] = {}
    for item in items:
        signature = item.facts.signature if item.facts else None
        sender = item.msg.sender
        if item.direction != "in" or not signature or not sender or sender.email not in current:
            continue
        row = current[sender.email]
        found = {f: getattr(signature, f) for f in SIGNATURE_FIELDS if getattr(signature, f)}
        updates, provenance = merge_contact(
            {f: row.get(f) for f in SIGNATURE_FIELDS},
            found,
            row.get("provenance") or {},
            "signature",
        )
        if not updates:
            continue
        changes.setdefault(row["id"], {}).update(updates, provenance=provenance)
        row.update(updates, provenance=provenance)
        enriched += 1
    by_fields: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for contact_id, values in changes.items():
        params = {"contact": contact_id} | {f"new_{k}": v for k, v in values.items()}
        by_fields.setdefault(tuple(sorted(values)), []).append(params)
    for fields, rows in by_fields.items():
        setting: dict[str, Any] = {f: sa.bindparam(f"new_{f}") for f in fields}
        scope.execute(
            sa.update(contacts)
            .where(contacts.c.id == sa.bindparam("contact"))
            .values({**setting, "updated_at": sa.func.now()}),
            rows,
        )
    return enriched


def record_touches(scope: TenantScope, rows: list[dict[str, Any]]) -> int:
    """Touches on the engagement clock (one per source key); the database moves each contact's
    latest touches forward, never back (the trigger of migration 0019). Returns the touches that
    were new."""
    return scope.insert(touches, rows, skip_conflicts_on=("tenant_id", "source_key"))


def record_outbound_touch(db: Database, slug: str, row: dict[str, Any], now: datetime) -> None:
    """A sent email (an outbox row) is a touch on its contact's engagement clock."""
    address = (row["target"] or "").lower()
    with db.for_tenant(slug) as scope:
        contact = scope.execute(
            scope.select(contacts.c.id, contacts.c.account_id).where(
                sa.func.lower(contacts.c.email) == address
            )
        ).first()
        if contact is None:
            return
        touch = {
            "contact_id": contact.id,
            "account_id": contact.account_id,
            "touch_type": "email_out",
            "occurred_at": now,
            "by_whom": "steward",
            "source_key": f"outbox:{row['idempotency_key']}"[:500],
        }
        record_touches(scope, [touch])


def set_away(scope: TenantScope, away_until: dict[int, date]) -> None:
    """Each contact's out-of-office return date, as the latest message said."""
    if away_until:
        scope.execute(
            sa.update(contacts)
            .where(contacts.c.id == sa.bindparam("contact"))
            .values(ooo_until=sa.bindparam("until")),
            [{"contact": c, "until": d} for c, d in away_until.items()],
        )


def set_profile(scope: TenantScope, kind: str, name: str, fields: dict[str, Any],
                now: datetime) -> dict[str, Any]:
    """Merge `fields` into the profile of the account named `name` or the contact with that
    address (None or an empty text removes the field); returns the profile as stored."""
    table = accounts if kind == "account" else contacts
    match = accounts.c.name == name if kind == "account" else \
        sa.func.lower(contacts.c.email) == name.strip().lower()
    row = scope.execute(scope.select(table.c.id, table.c.profile).where(match)).first()
    if row is None:
        raise ValueError(f"no {kind} {name!r}")
    gone = {k for k, v in fields.items() if v is None or (isinstance(v, str) and not v.strip())}
    merged = {**(row.profile or {}), **{k: v for k, v in fields.items() if k not in gone}}
    for key in gone:
        merged.pop(key, None)
    scope.execute(sa.update(table).where(table.c.id == row.id)
                  .values(profile=merged, updated_at=now))
    return merged
