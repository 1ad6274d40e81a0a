"""A task's `strategy` (immediate, decompose or blocked) becomes its `approach`, so the word
strategy means one thing only: a goal's DAG of tasks (strategies, strategy_executions).

Both columns are renamed in place. On SQLite, batch mode would copy `tasks` to a new table and
drop the old one, and with foreign keys on, dropping it cascades to the task log, dependencies
and snapshots; SQLite (3.25+) renames a column itself, so the batch never recreates the table.
On PostgreSQL a rename keeps the table's row-level security policy (migrations/rls.py), which
names no column but tenant_id.

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

RENAMES = (("strategy", "approach"), ("strategy_reason", "approach_reason"))


def upgrade() -> None:
    with op.batch_alter_table('tasks', schema=None, recreate='never') as batch_op:
        for old, new in RENAMES:
            batch_op.alter_column(old, new_column_name=new)


def downgrade() -> None:
    with op.batch_alter_table('tasks', schema=None, recreate='never') as batch_op:
        for old, new in RENAMES:
            batch_op.alter_column(new, new_column_name=old)
