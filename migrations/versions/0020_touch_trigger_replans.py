"""The touches trigger of 0019 plans its updates of contacts on every call (PostgreSQL).

PL/pgSQL planned each of the trigger's three UPDATEs once per session and kept that plan until
the next ANALYZE of contacts. A session that began while contacts was small (a bulk load into a
new database, on a server without autovacuum) kept scanning the whole table for every batch of
touches it wrote as the table grew: 1,190 s instead of 193 s to load the 1,000 benchmark
tenants, 5.1 billion contact rows read. Run through EXECUTE, each update is planned against the
table as it is now (index probes by contact id), for about 0.1 ms a statement. The statements
are 0019's, unchanged; SQLite's row trigger has no such cache and is left as it is.

Revision ID: 0020
Revises: 0019
"""

from alembic import context, op


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

PREFIX, SUFFIX = "BEGIN ", " RETURN NULL; END $$"


def _function() -> str:
    """0019's CREATE FUNCTION statement, which this revision rewrites."""
    return context.script.get_revision('0019').module.POSTGRES_TRIGGERS[0]


def _replanned(create: str) -> str:
    head, rest = create.split(PREFIX, 1)
    body = rest.removesuffix(SUFFIX).removesuffix(";")
    dynamic = " ".join(f"EXECUTE $q${statement}$q$;" for statement in body.split("; "))
    return f"{head.replace('CREATE FUNCTION', 'CREATE OR REPLACE FUNCTION')}{PREFIX}{dynamic}{SUFFIX}"


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(_replanned(_function()))


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(_function().replace('CREATE FUNCTION', 'CREATE OR REPLACE FUNCTION'))
