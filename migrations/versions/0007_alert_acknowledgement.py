"""Alerts record who acknowledged and who resolved them, and when: `steward alert ack` stops an
alert's repeat notifications while it keeps counting, `steward alert resolve` closes it, and a
person reading the alert later needs to know which of them was a person's decision.

Four nullable columns are added to `alerts`; rows from before stay as they are (never
acknowledged, and resolved by the rule that cleared them, which names nobody). Adding and
dropping a column are done by SQLite (3.35+) itself, so the batch never recreates the table. On
PostgreSQL the table keeps its row-level security policy (migrations/rls.py), which names no
column but tenant_id.

Revision ID: 0007
Revises: 0006
"""

from alembic import op
import sqlalchemy as sa

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

COLUMNS = (
    ("acknowledged_at", sa.DateTime(timezone=True)),
    ("acknowledged_by", sa.String(length=200)),
    ("resolved_at", sa.DateTime(timezone=True)),
    ("resolved_by", sa.String(length=200)),
)


def upgrade() -> None:
    with op.batch_alter_table('alerts', schema=None, recreate='never') as batch_op:
        for name, type_ in COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('alerts', schema=None, recreate='never') as batch_op:
        for name, _type in reversed(COLUMNS):
            batch_op.drop_column(name)
