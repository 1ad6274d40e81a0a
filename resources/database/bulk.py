"""Bulk inserts on PostgreSQL: COPY into a temporary table, then one INSERT ... SELECT.

PostgreSQL refuses COPY FROM into a table with row-level security for the roles it binds, so the
rows are copied into a temporary table (no RLS, no indexes) and moved with one statement, during
which the table's policy checks every row. Both steps run in the caller's transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from psycopg.types.json import Jsonb
from sqlalchemy.dialects import postgresql, sqlite

COPY_THRESHOLD = 200


def dialect_insert(dialect: str, table: sa.Table) -> Any:
    """An INSERT that knows ON CONFLICT on both backends we run on."""
    if dialect == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def copy_insert(
    conn: sa.Connection,
    table: sa.Table,
    columns: list[str],
    rows: list[Mapping[str, Any]],
    skip_conflicts_on: Sequence[str] | None = None,
) -> int:
    """Insert rows that all name exactly `columns`; skip those clashing on a unique key."""
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
        on_conflict = (
            f" ON CONFLICT ({', '.join(skip_conflicts_on)}) DO NOTHING" if skip_conflicts_on else ""
        )
        cur.execute(
            f'INSERT INTO "{table.name}" ({column_list}) '
            f"SELECT {column_list} FROM {temp}{on_conflict}"
        )
        inserted = cur.rowcount
        cur.execute(f"DROP TABLE {temp}")
    return inserted


def _adapt(value: Any) -> Any:
    return Jsonb(value) if isinstance(value, (dict, list)) else value
