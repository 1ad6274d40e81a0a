"""Build the daily facts for a range of days, all tenants at once, plus the earlier days that
received events since they were last built (late events land in their own day)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from resources.database import Database
from resources.store import facts
from resources.store.schema import FACTS


@dataclass
class Built:
    days: list[date]
    late: list[date]
    rows: dict[str, int] = field(default_factory=dict)  # per fact, over every day built
    events_through: int = 0

    def summary(self) -> str:
        total = sum(self.rows.values())
        late = f", {len(self.late)} earlier day(s) with late events" if self.late else ""
        return f"{len(self.days)} day(s){late}: {total} fact rows"


def build_days(db: Database, days: list[date], now: datetime) -> Built:
    """One transaction per day: a long backfill commits as it goes, and a day is never seen
    half built."""
    with db.warehouse() as scope:
        through = facts.newest_event(scope)
        late = facts.late_days(scope, days)
    result = Built(sorted(days), late, {t.name: 0 for t in FACTS}, through)
    for day in sorted(set(days) | set(late)):
        with db.warehouse() as scope:
            for name, count in facts.build_day(scope, day, now, through).items():
                result.rows[name] += count
    return result
