"""The `deals` and `deal_stage_history` tables: open deals with their activity clock, a deal's
follow-up bookkeeping, and its stage changes with how long each stage lasted."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from resources.database import TenantScope
from resources.database.clock import aware
from resources.store.schema import accounts, contacts, deal_stage_history, deals, touches

CLOSED = ("won", "lost")


def open_deals(scope: TenantScope, ids: list[int] | None = None) -> list[dict[str, Any]]:
    """Open deals (of `ids` only, when given) with their contact and `activity`: the latest of
    the deal's own activity and a touch with its contact that was not Steward's own mail (its
    creation when it has neither)."""
    # Per deal, an index probe of its contact's touches (not an aggregate of every touch).
    touched = (
        sa.select(sa.func.max(touches.c.occurred_at))
        .where(touches.c.contact_id == deals.c.contact_id, touches.c.by_whom != "steward")
        .scalar_subquery()
        .label("touched")
    )
    query = (
        scope.select(
            deals.c.id, deals.c.title, deals.c.stage, deals.c.contact_id, deals.c.created_at,
            deals.c.last_activity_at, deals.c.stalled_at, deals.c.auto_follow_up_enabled,
            deals.c.needs_attention, contacts.c.email, contacts.c.first_name,
            contacts.c.ooo_until, touched,
        )
        .select_from(deals)
        .outerjoin(contacts, contacts.c.id == deals.c.contact_id)
        .where(deals.c.stage.not_in(CLOSED))
    )
    if ids is not None:
        query = query.where(deals.c.id.in_(ids))
    found = []
    for row in scope.execute(query).mappings():
        deal = dict(row)
        seen = [aware(t) for t in (deal["last_activity_at"], deal["touched"]) if t is not None]
        # A deal imported with its history is as old as its last activity, not as the import.
        deal["activity"] = max(seen) if seen else aware(deal["created_at"])
        found.append(deal)
    return found


def update_deal(scope: TenantScope, deal_id: int, now: datetime, **values) -> None:
    scope.execute(sa.update(deals).where(deals.c.id == deal_id).values(updated_at=now, **values))


def update_deals(scope: TenantScope, rows: list[dict[str, Any]], now: datetime) -> None:
    """Each row's values (with its `id`) on its deal, batched."""
    scope.update_rows(deals, [{**row, "updated_at": now} for row in rows])


def count_follow_ups(scope: TenantScope, deal_ids: list[int], now: datetime) -> None:
    """One more follow-up planned for each of these deals."""
    if deal_ids:
        scope.execute(
            sa.update(deals).where(deals.c.id.in_(deal_ids))
            .values(follow_up_count=deals.c.follow_up_count + 1, updated_at=now)
        )


def record_stage(scope: TenantScope, deal: dict[str, Any], stage: str, by: str, reason: str | None,
                 now: datetime) -> None:
    """A stage change, with how long the deal spent in the stage it leaves; it is activity."""
    last = scope.scalar(
        scope.select(sa.func.max(deal_stage_history.c.changed_at)).where(
            deal_stage_history.c.deal_id == deal["id"])
    )
    entered = aware(last or deal["created_at"])
    scope.insert(deal_stage_history, {
        "deal_id": deal["id"], "from_stage": deal["stage"], "to_stage": stage, "changed_at": now,
        "seconds_in_stage": int((now - entered).total_seconds()), "by_whom": by,
        "reason": reason})
    update_deal(scope, deal["id"], now, stage=stage, last_activity_at=now, stalled_at=None,
         needs_attention=None, needs_attention_at=None)


def get(scope: TenantScope, deal_id: int) -> dict[str, Any] | None:
    row = scope.execute(
        scope.select(deals, contacts.c.email, accounts.c.name.label("account"))
        .select_from(deals)
        .outerjoin(contacts, contacts.c.id == deals.c.contact_id)
        .outerjoin(accounts, accounts.c.id == deals.c.account_id)
        .where(deals.c.id == deal_id)
    ).mappings().first()
    return dict(row) if row else None


def listing(scope: TenantScope, stage: str | None, stalled: bool, limit: int) -> list[dict]:
    query = (
        scope.select(deals, contacts.c.email)
        .select_from(deals)
        .outerjoin(contacts, contacts.c.id == deals.c.contact_id)
        .order_by(deals.c.stalled_at.is_(None), deals.c.stalled_at, deals.c.id)
        .limit(limit)
    )
    if stage:
        query = query.where(deals.c.stage == stage)
    if stalled:
        query = query.where(deals.c.stalled_at.is_not(None), deals.c.stage.not_in(CLOSED))
    return [dict(r) for r in scope.execute(query).mappings()]


def stage_history(scope: TenantScope, deal_id: int) -> list[dict[str, Any]]:
    return [dict(r) for r in scope.execute(
        scope.select(deal_stage_history).where(deal_stage_history.c.deal_id == deal_id)
        .order_by(deal_stage_history.c.changed_at, deal_stage_history.c.id)
    ).mappings()]
