"""Every contact's engagement clock (agent/engagement.py) from two reads: the contacts, with the
latest touch each way that the database keeps on them as touches are written (migration 0019),
and the open deals. The cycle's plan reads it, and so does a campaign's segment by engagement.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from agent.engagement import contact_clocks
from resources.database import TenantScope
from resources.store.schema import contacts, deals


def engagement_clocks(scope: TenantScope, hour: datetime) -> pd.DataFrame:
    thresholds = scope.tenant.settings.thresholds
    return contact_clocks(_contacts(scope), _open_deals(scope), hour,
                          thresholds.engagement_days, thresholds.engagement_due_soon_days)


def _contacts(scope: TenantScope) -> pd.DataFrame:
    return scope.frame(
        scope.select(
            contacts.c.id,
            contacts.c.email,
            contacts.c.first_name,
            contacts.c.account_id,
            contacts.c.created_at,
            contacts.c.last_touch_at,
            contacts.c.last_outbound_at,
            contacts.c.last_outbound_type,
            contacts.c.last_outbound_by,
            contacts.c.last_inbound_at,
        )
    )


def _open_deals(scope: TenantScope) -> pd.DataFrame:
    return scope.frame(
        scope.select(deals.c.contact_id, deals.c.account_id, deals.c.stage, deals.c.amount).where(
            deals.c.stage.not_in(("won", "lost"))
        )
    )
