"""Central, atomic rate limits: one counter row per tenant, bucket and window.

A slot is taken with a single conditional upsert (`INSERT ... ON CONFLICT DO UPDATE SET count =
count + 1 WHERE count < cap RETURNING count`): the row lock makes two concurrent cycles or
dispatchers queue behind each other, and the WHERE makes the second one see the first's count, so
a cap is never exceeded. A bucket with an hourly and a daily cap takes both slots inside one
savepoint or neither. A gate batch that counted its slots against the counters it read takes
them all with one upsert per counter (`reserve_counted`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from agent.policy import window_end, window_start
from agent.settings import Caps
from resources.database import TenantScope
from resources.database.bulk import dialect_insert
from resources.store.schema import rate_limit_counters as counters


@dataclass(frozen=True)
class Refusal:
    window: str
    cap: int
    retry_at: datetime


class Moved(Exception):
    """A counter no longer has the room a batch counted on: another writer took slots since."""


class _Full(Exception):
    def __init__(self, refusal: Refusal):
        self.refusal = refusal


def reserve(scope: TenantScope, bucket: str, caps: dict[str, int], now: datetime) -> Refusal | None:
    """Take one slot in every window of `bucket`; None when taken, else the window that is full."""
    zone = ZoneInfo(scope.tenant.timezone)
    try:
        with scope.conn.begin_nested():
            for window, cap in caps.items():
                if not _take(scope, bucket, window, cap, now, zone):
                    raise _Full(Refusal(window, cap, window_end(window, now, zone)))
    except _Full as full:
        return full.refusal
    return None


def reserve_counted(
    scope: TenantScope, taken: dict[tuple[str, str], int], caps: Caps, now: datetime
) -> None:
    """Take `taken[(bucket, window)]` slots in each counter, or raise Moved (the caller's
    savepoint then undoes the counters already taken)."""
    zone = ZoneInfo(scope.tenant.timezone)
    for (bucket, window), slots in taken.items():
        cap = caps.limits(bucket)[window]
        if not _take(scope, bucket, window, cap, now, zone, slots):
            raise Moved(f"{bucket} per {window}: {slots} slot(s) no longer free under {cap}")


def _take(
    scope: TenantScope,
    bucket: str,
    window: str,
    cap: int,
    now: datetime,
    zone: ZoneInfo,
    slots: int = 1,
) -> bool:
    if cap < slots:
        return False
    start = window_start(window, now, zone).astimezone(UTC)
    stmt = dialect_insert(scope.conn.dialect.name, counters).values(
        tenant_id=scope.tenant_id,
        action_kind=bucket,
        window=window,
        window_start=start,
        count=slots,
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["tenant_id", "action_kind", "window", "window_start"],
        set_={"count": counters.c.count + slots},
        where=counters.c.count + slots <= cap,
    ).returning(counters.c.count)
    return scope.execute(stmt).first() is not None


def usage(scope: TenantScope, now: datetime) -> dict[tuple[str, str], int]:
    """Slots taken in the windows holding `now`, by (bucket, window)."""
    zone = ZoneInfo(scope.tenant.timezone)
    starts = {w: window_start(w, now, zone).astimezone(UTC) for w in ("hour", "day")}
    rows = scope.execute(
        scope.select(counters.c.action_kind, counters.c.window, counters.c.count).where(
            sa.or_(
                *(
                    sa.and_(counters.c.window == w, counters.c.window_start == start)
                    for w, start in starts.items()
                )
            )
        )
    )
    return {(r.action_kind, r.window): r.count for r in rows}
