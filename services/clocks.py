"""Every contact's engagement clock (agent/engagement.py) from three set-based reads: the
contacts, their latest outbound touch (a window function) and latest inbound one (an aggregate),
and the open deals. The cycle's plan reads it, and so does a campaign's segment by engagement.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import sqlalchemy as sa

from agent.engagement import contact_clocks
from resources.database import TenantScope
from resources.store.schema import contacts, deals, touches


def engagement_clocks(scope: TenantScope, hour: datetime) -> pd.DataFrame:
    thresholds = scope.tenant.settings.thresholds
    return contact_clocks(_contacts(scope), _last_touches(scope), _open_deals(scope), hour,
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
        )
    )


def _last_touches(scope: TenantScope) -> pd.DataFrame:
    inbound = touches.c.touch_type.like("%\\_in", escape="\\")
    ranked = (
        scope.select(
            touches.c.contact_id,
            touches.c.touch_type,
            touches.c.occurred_at,
            touches.c.by_whom,
            sa.func.row_number()
            .over(partition_by=touches.c.contact_id, order_by=touches.c.occurred_at.desc())
            .label("n"),
        )
        .where(touches.c.contact_id.is_not(None), sa.not_(inbound))
        .subquery()
    )
    ours = scope.frame(
        sa.select(
            ranked.c.contact_id, ranked.c.touch_type, ranked.c.occurred_at, ranked.c.by_whom
        ).where(ranked.c.n == 1)
    )
    theirs = scope.frame(
        scope.select(
            touches.c.contact_id,
            sa.literal("email_in").label("touch_type"),
            sa.func.max(touches.c.occurred_at).label("occurred_at"),
            sa.literal("contact").label("by_whom"),
        )
        .where(touches.c.contact_id.is_not(None), inbound)
        .group_by(touches.c.contact_id)
    )
    return pd.concat([ours, theirs], ignore_index=True)


def _open_deals(scope: TenantScope) -> pd.DataFrame:
    return scope.frame(
        scope.select(deals.c.contact_id, deals.c.account_id, deals.c.stage, deals.c.amount).where(
            deals.c.stage.not_in(("won", "lost"))
        )
    )
