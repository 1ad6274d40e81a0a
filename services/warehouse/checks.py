"""What the warehouse's asset checks look at: facts that disagree with the source tables they
summarize, fact days out of bounds, and how old the newest built day is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from resources.database import Database
from resources.store import facts
from resources.store.schema import (
    FACTS,
    mail_daily,
    messages,
    orders,
    orders_daily,
    tenants,
    warehouse_builds,
)

# (fact table, its column, source table, the source's timestamp, an extra source condition)
RECONCILED = (
    (orders_daily, "orders_placed", orders, orders.c.ordered_at, sa.true()),
    (mail_daily, "received", messages, sa.func.coalesce(messages.c.sent_at, messages.c.created_at),
     messages.c.direction == "in"),
)
# Most rows a fact may hold for one tenant and day: one, or one per dimension value.
ROWS_PER_TENANT = {t.name: (1 if len(t.primary_key.columns) == 2 else 200) for t in FACTS}


@dataclass(frozen=True)
class Mismatch:
    tenant: str
    day: date
    fact: str
    fact_value: int
    source_value: int

    def line(self) -> str:
        return (f"{self.tenant} {self.day}: {self.fact} says {self.fact_value}, "
                f"the source table {self.source_value}")


def mismatches(db: Database, slugs: list[str], days: list[date]) -> list[Mismatch]:
    """Per tenant, one grouped count per source over the days (not a query per tenant and
    day): a year's backfill for a thousand tenants is a few thousand queries."""
    if not days:
        return []
    start, end = facts.day_bounds(min(days))[0], facts.day_bounds(max(days))[1]
    wanted = set(days)
    found: list[Mismatch] = []
    for scope in db.each_tenant(slugs):
        dialect = scope.conn.dialect.name
        for table, column, source, stamp, condition in RECONCILED:
            day = facts.utc_day(stamp, dialect)
            counted = {facts.as_date(d): n for d, n in scope.execute(
                scope.select(day, sa.func.count()).select_from(source)
                .where(stamp >= start, stamp < end, condition).group_by(day))}
            summed = {d: int(n or 0) for d, n in scope.execute(
                scope.select(table.c.day, table.c[column])
                .where(table.c.day >= min(days), table.c.day <= max(days)))}
            for d in sorted(wanted):
                if counted.get(d, 0) != summed.get(d, 0):
                    found.append(Mismatch(scope.tenant.slug, d, f"{table.name}.{column}",
                                          summed.get(d, 0), counted.get(d, 0)))
    return found


def out_of_bounds(db: Database, days: list[date]) -> list[str]:
    """Fact days holding more rows than the tenants and dimensions allow, or a negative count."""
    problems = []
    with db.warehouse() as scope:
        tenant_count = int(scope.execute(sa.select(sa.func.count()).select_from(tenants)).scalar())
        for table in FACTS:
            counts = [c for c in table.c
                      if isinstance(c.type, sa.Integer) and c.name != "tenant_id"]
            negative = sa.or_(*(c < 0 for c in counts))
            stmt = (sa.select(table.c.day, sa.func.count(),
                              sa.func.sum(sa.case((negative, 1), else_=0)))
                    .where(table.c.day.in_(days)).group_by(table.c.day))
            for day, held, below_zero in scope.execute(stmt):
                if held > tenant_count * ROWS_PER_TENANT[table.name]:
                    problems.append(f"{table.name} {day}: {held} rows for {tenant_count} tenants")
                if below_zero:
                    problems.append(f"{table.name} {day}: {below_zero} rows with a negative count")
    return problems


def newest_built_day(db: Database) -> date | None:
    with db.warehouse() as scope:
        value = scope.execute(sa.select(sa.func.max(warehouse_builds.c.day))).scalar()
    return facts.as_date(value) if value is not None else None
