"""Goal pace: are this month's orders and revenue where they should be by now?

Expected progress is the elapsed share of the month; a goal is behind when actual progress is
more than `TOLERANCE` short of it. Behind pace (or a thin pipeline) is what allows research.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime

TOLERANCE = 0.05


@dataclass(frozen=True)
class Pace:
    behind: bool
    expected: float
    orders: float | None
    revenue: float | None
    summary: str


def month_bounds(now: datetime) -> tuple[datetime, datetime]:
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    days = calendar.monthrange(now.year, now.month)[1]
    end = start.replace(day=days, hour=23, minute=59, second=59)
    return start, end


def pace(
    now: datetime,
    orders: int,
    revenue: float,
    orders_target: int | None,
    revenue_target: float | None,
) -> Pace:
    start, end = month_bounds(now)
    expected = (now - start).total_seconds() / (end - start).total_seconds()
    shares = {
        "orders": orders / orders_target if orders_target else None,
        "revenue": revenue / revenue_target if revenue_target else None,
    }
    behind = [k for k, v in shares.items() if v is not None and v < expected - TOLERANCE]
    parts = [f"{k} {v:.0%} of target" for k, v in shares.items() if v is not None] or [
        "no goals set"
    ]
    text = f"{', '.join(parts)} with {expected:.0%} of the month gone"
    if behind:
        text += f": behind on {' and '.join(behind)}"
    return Pace(bool(behind), expected, shares["orders"], shares["revenue"], text)
