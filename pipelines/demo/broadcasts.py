"""Demo broadcast: the spring turnaround-times announcement to the contacts of the tenant's
lender accounts, approved by the owner and due to start now, so the first cycle freezes its
audience and sends its first batch (dry-run mail, within the demo's caps, when the send window
is open; otherwise it says what it waits for). Lenders' contacts carry a `newsletter` tag on
their profile, as a tenant's own list would (every contact's, in a demo without lenders)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from resources.database import TenantScope
from resources.store.schema import accounts, contacts
from services.broadcasts.campaigns import approve, create_campaign

LENDERS = ("Mortgage Lending", "Credit Union", "Banking")
TEMPLATE = {
    "subject": "Spring turnaround times for {{ account_name or company or 'your team' }}",
    "text": "Hello {{ name or 'there' }},\n\nOur spring schedule is in: standard appraisals "
            "within three business days, complex properties within five, and rush orders "
            "on request.\n\nReply to this message with any question about an order.\n\n"
            "{{ tenant_name }}",
}


def load_broadcast(scope: TenantScope, clock: datetime) -> dict[str, Any]:
    lender_ids = scope.select(accounts.c.id).where(accounts.c.industry.in_(LENDERS))
    with_address = contacts.c.email.is_not(None)
    tagged = scope.execute(sa.update(contacts).where(contacts.c.account_id.in_(lender_ids),
                                                     with_address)
                           .values(profile={"tags": ["newsletter"]})).rowcount
    if not tagged:  # a small demo without lenders: everyone is on the list
        tagged = scope.execute(sa.update(contacts).where(with_address)
                               .values(profile={"tags": ["newsletter"]})).rowcount
    if not tagged:
        return {"broadcasts": 0}
    create_campaign(scope, "Spring turnaround times", {"tags": ["newsletter"]}, TEMPLATE,
                    "demo", clock, starts_at=clock)
    approve(scope, "Spring turnaround times", "demo: owner", clock)
    return {"broadcasts": 1}
