"""What autovacuum would analyze, on a server that runs with it off (this VM's does).

The bench analyzes every table after the load, when the tables the cycle fills (enrollments,
steps, the ledger, the outbox, feedback) are still empty. Left at that, PostgreSQL keeps planning
them as empty while a first cycle writes some 270,000 rows into them: the runs' plans scanned
cadence_enrollments 45,000 times (1.5 billion rows read) and actions 67,000 times (0.5 billion)
in one first cycle at 1,000 tenants. PostgreSQL's default (autovacuum on) analyzes a table again
once more than 50 rows plus 10% of it changed since the last analyze, looking every minute; this
thread applies that rule at that pace while the runs go, and does nothing when the server's own
autovacuum is on.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from sqlalchemy.engine import make_url

NAPTIME = 60.0  # autovacuum_naptime's default
# autovacuum's analyze threshold with its defaults: 50 rows + 10% of the table
DUE = """SELECT s.relname FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
    WHERE s.n_mod_since_analyze > 50 + 0.1 * greatest(c.reltuples, 0)"""


@contextmanager
def standing_in(admin_url: str) -> Iterator[list[str]]:
    """Yields the tables analyzed so far (empty when the server's own autovacuum is on)."""
    dsn = make_url(admin_url).set(drivername="postgresql").render_as_string(False)
    done: list[str] = []
    stop = threading.Event()
    with psycopg.connect(dsn, autocommit=True) as conn:
        if conn.execute("SHOW autovacuum").fetchone()[0] == "on":
            yield done
            return

        def loop() -> None:
            while not stop.wait(NAPTIME):
                for (table,) in conn.execute(DUE).fetchall():
                    conn.execute(f'ANALYZE "{table}"')
                    done.append(table)

        worker = threading.Thread(target=loop, name="autoanalyze", daemon=True)
        worker.start()
        try:
            yield done
        finally:
            stop.set()
            worker.join()
