"""Who a campaign's segment selects, read in a few set-based queries: the contacts with their
accounts and profiles, every contact's and account's last order, and (only when the segment
asks) the engagement clocks. Each recipient keeps the fields its template may name, frozen with
the audience so a later edit of the contact does not change a message halfway."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from agent.broadcast import Candidate, Segment, region_of, selects, tags_of
from resources.database import TenantScope
from resources.store.schema import accounts, contacts, orders
from services.clocks import engagement_clocks


def audience(scope: TenantScope, segment: Segment, now: datetime) -> list[dict[str, Any]]:
    """The recipient rows the segment selects now, by contact id; a contact without an address
    is kept as skipped so the campaign says whom it could not reach."""
    people = scope.execute(
        scope.select(contacts.c.id, contacts.c.email, contacts.c.first_name, contacts.c.last_name,
                     contacts.c.full_name, contacts.c.company, contacts.c.title,
                     contacts.c.profile, contacts.c.address, contacts.c.account_id,
                     accounts.c.name.label("account_name"), accounts.c.industry,
                     accounts.c.active.label("account_active"),
                     accounts.c.profile.label("account_profile"),
                     accounts.c.address.label("account_address"))
        .outerjoin(accounts, accounts.c.id == contacts.c.account_id)
        .order_by(contacts.c.id)
    ).mappings().all()
    by_contact, by_account = _last_orders(scope)
    status = _engagement(scope, now) if segment.engagement else {}
    rows = []
    for p in people:
        last = max((d for d in (by_contact.get(p["id"]), by_account.get(p["account_id"])) if d),
                   default=None)
        email = (p["email"] or "").strip().lower() or None
        candidate = Candidate(
            contact_id=p["id"], email=email, tags=tags_of(p["profile"], p["account_profile"]),
            account_type=p["industry"],
            region=region_of(p["profile"] or p["account_profile"], p["address"],
                             p["account_address"]),
            last_order=last, engagement=status.get(p["id"], "unreachable" if not email else ""),
            account_active=p["account_active"] is not False)
        if selects(segment, candidate):
            rows.append(_row(p, email))
    return rows


def _row(p: Any, email: str | None) -> dict[str, Any]:
    name = p["full_name"] or " ".join(n for n in (p["first_name"], p["last_name"]) if n)
    fields = {"first_name": p["first_name"], "last_name": p["last_name"], "full_name": name,
              "name": p["first_name"] or name, "email": email, "company": p["company"],
              "title": p["title"], "account_name": p["account_name"]}
    row = {"contact_id": p["id"], "address": email,
           "vars": {k: v for k, v in fields.items() if v}, "status": "pending"}
    if email is None:
        row.update(status="skipped", reason="no address: the contact has no email address")
    return row


def _last_orders(scope: TenantScope) -> tuple[dict[int, Any], dict[int, Any]]:
    def latest(column: sa.Column) -> dict[int, Any]:
        found = scope.execute(scope.select(column, sa.func.max(orders.c.ordered_at))
                              .where(column.is_not(None)).group_by(column)).all()
        return {key: when.date() for key, when in found if when is not None}

    return latest(orders.c.contact_id), latest(orders.c.account_id)


def _engagement(scope: TenantScope, now: datetime) -> dict[int, str]:
    clocks = engagement_clocks(scope, now)
    return dict(zip(clocks["id"].astype(int), clocks["status"], strict=True)) if len(clocks) else {}
