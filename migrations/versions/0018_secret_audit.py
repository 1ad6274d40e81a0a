"""Secrets (issue 19): an audit row for every use and change of a tenant's secret (name,
version, purpose, run, outcome; never the value), under row-level security.

Revision ID: 0018
Revises: 0017
"""

from alembic import op
import sqlalchemy as sa

from migrations import rls


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'secret_audit',
        sa.Column('id', ID, autoincrement=True, nullable=False),
        sa.Column('tenant_id', sa.BigInteger(), nullable=False),
        sa.Column('secret', sa.String(length=100), nullable=False),
        sa.Column('version', sa.Integer(), nullable=True),
        sa.Column('action', sa.String(length=20), nullable=False),
        sa.Column('purpose', sa.String(length=200), nullable=False),
        sa.Column('ok', sa.Boolean(), nullable=False),
        sa.Column('detail', sa.Text(), nullable=True),
        sa.Column('by_whom', sa.String(length=200), nullable=True),
        sa.Column('dagster_run_id', sa.String(length=64), nullable=True),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'],
                                name=op.f('fk_secret_audit_tenant_id_tenants'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_secret_audit')),
    )
    with op.batch_alter_table('secret_audit', schema=None) as batch_op:
        batch_op.create_index('ix_secret_audit_time', ['tenant_id', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_secret_audit_tenant_id'), ['tenant_id'],
                              unique=False)
    rls.enable('secret_audit')


def downgrade() -> None:
    rls.disable('secret_audit')
    op.drop_table('secret_audit')
