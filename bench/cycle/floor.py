"""The floor: simply reading the state rows a cycle reads, for every tenant, and nothing else.

Per tenant, over one connection as the runtime role (so row-level security applies, as it does
to Steward): one transaction that sets the tenant and runs a plain `SELECT *` on each table the
cycle reads its state from, fetching every row.
"""

from __future__ import annotations

import time

import psycopg
from sqlalchemy.engine import make_url

TABLES = ("contacts", "touches", "deals", "quotes", "orders", "suppressions", "signals",
          "cadence_enrollments", "cadence_steps", "feedback", "cases")


def read_state(app_url: str, slugs: list[str]) -> tuple[float, int]:
    """(seconds, rows) to read every tenant's state rows."""
    dsn = make_url(app_url).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(dsn) as conn:
        ids = _tenant_ids(conn, slugs)
        rows = 0
        started = time.perf_counter()
        for slug in slugs:
            with conn.transaction(), conn.cursor() as cur:
                cur.execute("SELECT set_config('steward.tenant_id', %s, true)", (str(ids[slug]),))
                for table in TABLES:
                    cur.execute(f"SELECT * FROM {table} WHERE tenant_id = %s", (ids[slug],))
                    rows += len(cur.fetchall())
        return time.perf_counter() - started, rows


def _tenant_ids(conn: psycopg.Connection, slugs: list[str]) -> dict[str, int]:
    with conn.cursor() as cur:
        cur.execute("SELECT slug, id FROM tenants WHERE slug = ANY(%s)", (slugs,))
        found = dict(cur.fetchall())
    conn.commit()
    return found
