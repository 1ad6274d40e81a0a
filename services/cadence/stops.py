"""The stop rules every cadence shares, read set-based for many enrollments at once: a reply from
the contact since the enrollment began (an inbound touch: machine mail never makes one), and a
suppressed address (a bounce, complaint or opt-out). The engine adds its
entity's outcome (deal won or lost, quote decided, case open). The same reading runs when
planning and again just before dispatch, so a reply between the two stops the step.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from resources.database import TenantScope
from resources.database.clock import aware
from resources.store.contacts import chunks
from resources.store.schema import contacts
from resources.store.suppressions import every_reason


def shared_stops(scope: TenantScope, enrollments: list[dict[str, Any]]) -> dict[int, str]:
    """The first shared stop rule that holds, by enrollment id."""
    contact_ids = sorted({e["contact_id"] for e in enrollments if e["contact_id"]})
    replied = _last_replies(scope, contact_ids)
    suppressed = every_reason(scope)
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


def _last_replies(scope: TenantScope, contact_ids: list[int]) -> dict[int, datetime]:
    """Each contact's latest reply, read by key from the contact, which keeps it as its touches
    are written (migration 0019), instead of aggregating the tenant's touches every hour."""
    found: dict[int, datetime] = {}
    for part in chunks(contact_ids):
        rows = scope.execute(
            scope.select(contacts.c.id, contacts.c.last_inbound_at)
            .where(contacts.c.id.in_(part), contacts.c.last_inbound_at.is_not(None))
        ).all()
        found.update({contact: aware(when) for contact, when in rows})
    return found
