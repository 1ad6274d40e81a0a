"""The stop rules every cadence shares, read set-based for many enrollments at once: a reply from
the contact since the enrollment began (an inbound touch: machine mail never makes one), and a
suppressed address (a bounce, complaint or opt-out). The engine adds its
entity's outcome (deal won or lost, quote decided, case open). The same reading runs when
planning and again just before dispatch, so a reply between the two stops the step.
"""

from __future__ import annotations

from datetime import datetime
from itertools import zip_longest
from typing import Any

import sqlalchemy as sa

from resources.database import TenantScope
from resources.database.clock import aware
from resources.store.contacts import chunks
from resources.store.schema import contacts, suppressions


def shared_stops(scope: TenantScope, enrollments: list[dict[str, Any]]) -> dict[int, str]:
    """The first shared stop rule that holds, by enrollment id."""
    contact_ids = sorted({e["contact_id"] for e in enrollments if e["contact_id"]})
    addresses = sorted({e["address"].lower() for e in enrollments if e["address"]})
    replied, suppressed = _facts(scope, contact_ids, addresses)
    stops: dict[int, str] = {}
    for e in enrollments:
        started = aware(e["started_at"])
        reply = replied.get(e["contact_id"])
        address = (e["address"] or "").lower()
        if not address:
            stops[e["id"]] = "no address to write to"
        elif address in suppressed:
            stops[e["id"]] = f"{address} is suppressed ({suppressed[address]})"
        elif reply is not None and reply > started:
            stops[e["id"]] = f"reply from the contact at {reply:%Y-%m-%d %H:%M} UTC"
    return stops


def _facts(scope: TenantScope, contact_ids: list[int],
           addresses: list[str]) -> tuple[dict[int, datetime], dict[str, str]]:
    """Each contact's latest reply (kept on the contact as its touches are written, migration
    0019) and each address's suppression reason, in one statement: every engine asks this,
    some of them twice, every hour. A side with no keys is left out rather than asked with an
    empty IN: PostgreSQL plans that as a scan of the whole table, parallel at a thousand
    tenants, and starts its workers (4 ms) to find nothing."""
    replied: dict[int, datetime] = {}
    suppressed: dict[str, str] = {}
    email = sa.func.lower(suppressions.c.email)
    for ids, some in zip_longest(chunks(contact_ids), chunks(addresses), fillvalue=[]):
        parts = []
        if ids:
            parts.append(scope.select(
                sa.literal("reply").label("kind"), sa.cast(contacts.c.id, sa.String).label("key"),
                contacts.c.last_inbound_at.label("at"), sa.null().label("reason"),
            ).where(contacts.c.id.in_(ids), contacts.c.last_inbound_at.is_not(None)))
        if some:
            parts.append(scope.select(
                sa.literal("suppressed").label("kind"), email.label("key"),
                sa.null().label("at"), suppressions.c.reason.label("reason"),
            ).where(email.in_(some)))
        both = sa.union_all(*parts).subquery() if len(parts) > 1 else parts[0].subquery()
        for r in scope.execute(sa.select(both)).all():
            if r.kind == "reply":
                replied[int(r.key)] = aware(r.at)
            else:
                suppressed[r.key] = r.reason
    return replied, suppressed
