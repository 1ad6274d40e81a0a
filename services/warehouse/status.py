"""What `steward warehouse` reports: which days are built and what a day holds."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from resources.database import Database
from resources.store import facts
from resources.store.schema import FACTS, warehouse_builds


def built_days(db: Database, days: list[date]) -> set[date]:
    """The days every fact has been built for."""
    with db.warehouse() as scope:
        return facts.days_built(scope, days)


def day_totals(db: Database, day: date) -> dict[str, tuple[int, int, str]]:
    """Per fact: rows, tenants with rows, and when the day was built."""
    totals = {}
    with db.warehouse() as scope:
        for table in FACTS:
            rows, tenants = scope.execute(
                sa.select(sa.func.count(), sa.func.count(sa.distinct(table.c.tenant_id)))
                .where(table.c.day == day)).one()
            at = scope.execute(sa.select(warehouse_builds.c.built_at).where(
                warehouse_builds.c.fact == table.name, warehouse_builds.c.day == day)).scalar()
            totals[table.name] = (rows, tenants, f"{at:%Y-%m-%d %H:%M}" if at else "-")
    return totals
