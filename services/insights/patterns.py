"""A week's client patterns and recommendations for one tenant, from its own tables: each
account's order days, its people's mails to the tenant and its decided quotes
(agent/insights.py), then a check-in proposed for each account gone quiet past its rhythm."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from agent.insights import Pattern, account_pattern, recommendations
from resources.database import Database, TenantScope
from resources.database.clock import aware
from resources.store import insights as store
from resources.store.schema import accounts, contacts, orders, quotes, suppressions, touches

REPLY_WINDOW = timedelta(days=180)  # the mails reply hours are read from


@dataclass
class WeekResult:
    patterns: list[Pattern]
    added: int
    withdrawn: int


def week_end(week: date) -> date:
    return week + timedelta(days=6)


def _order_days(scope: TenantScope, until: datetime) -> dict[int, list[date]]:
    days: dict[int, list[date]] = {}
    rows = scope.execute(scope.select(orders.c.account_id, orders.c.ordered_at)
                         .where(orders.c.account_id.is_not(None), orders.c.ordered_at < until,
                                orders.c.status != "cancelled"))
    for account_id, at in rows:
        days.setdefault(account_id, []).append(aware(at).date())
    return days


def _reply_times(scope: TenantScope, until: datetime, zone: ZoneInfo) -> dict[int, list]:
    times: dict[int, list] = {}
    rows = scope.execute(scope.select(touches.c.account_id, touches.c.occurred_at).where(
        touches.c.touch_type == "email_in", touches.c.account_id.is_not(None),
        touches.c.occurred_at >= until - REPLY_WINDOW, touches.c.occurred_at < until))
    for account_id, at in rows:
        times.setdefault(account_id, []).append(aware(at).astimezone(zone))
    return times


def _outcomes(scope: TenantScope, until: datetime) -> dict[int, list[tuple[str, str | None]]]:
    found: dict[int, list[tuple[str, str | None]]] = {}
    rows = scope.execute(scope.select(quotes.c.account_id, quotes.c.status, quotes.c.reason_code)
                         .where(quotes.c.status.in_(["accepted", "rejected", "expired"]),
                                quotes.c.account_id.is_not(None), quotes.c.decided_at < until))
    for account_id, status, reason in rows:
        found.setdefault(account_id, []).append((status, reason))
    return found


def _contacts(scope: TenantScope) -> dict[int, dict]:
    """Each account's most recently touched contact with an address that is not suppressed."""
    blocked = set(scope.execute(scope.select(sa.func.lower(suppressions.c.email))).scalars())
    rows = scope.execute(
        scope.select(contacts.c.id, contacts.c.account_id, contacts.c.email,
                     contacts.c.first_name, contacts.c.full_name)
        .where(contacts.c.account_id.is_not(None), contacts.c.email.is_not(None))
        .order_by(contacts.c.last_touch_at.desc().nulls_last(), contacts.c.id)).mappings()
    chosen: dict[int, dict] = {}
    for r in rows:
        if r["account_id"] not in chosen and r["email"].lower() not in blocked:
            chosen[r["account_id"]] = {"id": r["id"], "email": r["email"],
                                       "first_name": r["first_name"], "name": r["full_name"]}
    return chosen


def judge_week(db: Database, slug: str, week: date, now: datetime) -> WeekResult:
    """Patterns as of the week's last day, kept under the week; recommendations added or
    withdrawn to match."""
    with db.for_tenant(slug) as scope:
        until = datetime.combine(week_end(week) + timedelta(days=1), time(), ZoneInfo("UTC"))
        zone = ZoneInfo(scope.tenant.timezone)
        names = dict(scope.execute(scope.select(accounts.c.id, accounts.c.name)).all())
        order_days = _order_days(scope, until)
        replies = _reply_times(scope, until, zone)
        outcomes = _outcomes(scope, until)
        patterns = [
            account_pattern(account_id, name, order_days.get(account_id, []), week_end(week),
                            replies.get(account_id, []), outcomes.get(account_id, []))
            for account_id, name in sorted(names.items())
        ]
        store.replace_patterns(scope, week, patterns, now)
        added, withdrawn = store.keep_recommendations(
            scope, week, recommendations(patterns, _contacts(scope)), now)
    return WeekResult(patterns, added, withdrawn)
