"""Bulk inserts on PostgreSQL: COPY into a temporary table, then one INSERT ... SELECT.

PostgreSQL refuses COPY FROM into a table with row-level security for the roles it binds, so the
rows are copied into a temporary table (no RLS, no indexes) and moved with one statement, during
which the table's policy checks every row. Both steps run in the caller's transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from psycopg.types.json import Jsonb

COPY_THRESHOLD = 200


def copy_insert(
    conn: sa.Connection, table: sa.Table, columns: list[str], rows: list[Mapping[str, Any]]
) -> int:
    """Insert rows that all name exactly `columns`."""
    unknown = [c for c in columns if c not in table.c]
    if unknown:
        raise ValueError(f"{table.name} has no column(s) {', '.join(unknown)}")
    column_list = ", ".join(f'"{c}"' for c in columns)
    temp = f"steward_bulk_{uuid.uuid4().hex[:12]}"
    raw = conn.connection.driver_connection
    with raw.cursor() as cur:
        cur.execute(
            f'CREATE TEMP TABLE {temp} ON COMMIT DROP AS '
            f'SELECT {column_list} FROM "{table.name}" WITH NO DATA'
        )
        with cur.copy(f"COPY {temp} ({column_list}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([_adapt(row[c]) for c in columns])
        cur.execute(f'INSERT INTO "{table.name}" ({column_list}) SELECT {column_list} FROM {temp}')
        inserted = cur.rowcount
        cur.execute(f"DROP TABLE {temp}")
    return inserted


def _adapt(value: Any) -> Any:
    return Jsonb(value) if isinstance(value, (dict, list)) else value
