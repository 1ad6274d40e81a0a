"""Parquet files of the daily facts for pandas and notebook users: one file per fact and day
under `<folder>/<fact>/day=YYYY-MM-DD.parquet` (the Hive layout pandas and pyarrow read as one
dataset with `day` as a column), every tenant in it with its slug. Each file carries the
fact's full schema, also when the day has no rows, so the files of a fact read as one table."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa

from resources.database import Database
from resources.store import facts
from resources.store.schema import FACTS


def arrow_type(column: sa.Column) -> pa.DataType:
    kind = column.type
    if isinstance(kind, sa.Integer):
        return pa.int64()
    if isinstance(kind, (sa.Float, sa.Numeric)):  # Money too: pandas users want floats
        return pa.float64()
    if isinstance(kind, sa.DateTime):
        return pa.timestamp("us", tz="UTC")
    if isinstance(kind, sa.Date):
        return pa.date32()
    return pa.string()


def arrow_schema(table: sa.Table) -> pa.Schema:
    return pa.schema([("tenant", pa.string()),
                      *((c.name, arrow_type(c)) for c in table.c if c.name != "day")])


def _plain(row: dict[str, Any], schema: pa.Schema) -> dict[str, Any]:
    return {name: (float(row[name]) if schema.field(name).type == pa.float64()
                   and row[name] is not None else row[name]) for name in schema.names}


def export_days(db: Database, days: list[date], folder: Path,
                tenant: str | None = None) -> list[Path]:
    written = []
    with db.warehouse() as scope:
        for day in sorted(days):
            for table in FACTS:
                schema = arrow_schema(table)
                rows = [_plain(r, schema) for r in facts.day_rows(scope, table, day)
                        if tenant is None or r["tenant"] == tenant]
                path = folder / table.name / f"day={day.isoformat()}.parquet"
                path.parent.mkdir(parents=True, exist_ok=True)
                pq.write_table(pa.Table.from_pylist(rows, schema=schema), path)
                written.append(path)
    return written
