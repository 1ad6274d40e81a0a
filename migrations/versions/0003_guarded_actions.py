"""Guarded actions: the action ledger (every decision with its rule and reason), provider
failures for alerting, outbox claim columns for crash-safe dispatch, alert notification throttling.

Revision ID: 0003
Revises: 0002
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from migrations import rls

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

NEW_TENANT_TABLES = ("actions", "provider_failures")


def upgrade() -> None:
    op.create_table('actions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=300), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('target', sa.String(length=500), nullable=True),
    sa.Column('payload', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('priority', sa.Integer(), server_default='50', nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('rule', sa.String(length=100), nullable=False),
    sa.Column('decision_reason', sa.Text(), nullable=False),
    sa.Column('not_before', sa.DateTime(timezone=True), nullable=True),
    sa.Column('evaluations', sa.Integer(), server_default='1', nullable=False),
    sa.Column('approved_by', sa.String(length=200), nullable=True),
    sa.Column('task_id', sa.BigInteger(), nullable=True),
    sa.Column('agent_run_id', sa.BigInteger(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.ForeignKeyConstraint(['agent_run_id'], ['agent_runs.id'], name=op.f('fk_actions_agent_run_id_agent_runs'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_actions_task_id_tasks'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_actions_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_actions')),
    sa.UniqueConstraint('tenant_id', 'idempotency_key', name=op.f('uq_actions_tenant_id_idempotency_key'))
    )
    with op.batch_alter_table('actions', schema=None) as batch_op:
        batch_op.create_index('ix_actions_due', ['tenant_id', 'status', 'not_before'], unique=False)
        batch_op.create_index(batch_op.f('ix_actions_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('provider_failures',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('provider', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('code', sa.Integer(), nullable=True),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('outbox_id', sa.BigInteger(), nullable=True),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['outbox_id'], ['outbox.id'], name=op.f('fk_provider_failures_outbox_id_outbox'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_provider_failures_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_provider_failures'))
    )
    with op.batch_alter_table('provider_failures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_provider_failures_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index('ix_provider_failures_time', ['tenant_id', 'occurred_at'], unique=False)

    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_notified_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('notifications', sa.Integer(), server_default='0', nullable=False))

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('send_mode', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('eml_path', sa.Text(), nullable=True))

    rls.enable(*NEW_TENANT_TABLES)


def downgrade() -> None:
    rls.disable(*NEW_TENANT_TABLES)
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('eml_path')
        batch_op.drop_column('send_mode')
        batch_op.drop_column('claimed_by')
        batch_op.drop_column('claimed_at')

    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_column('notifications')
        batch_op.drop_column('last_notified_at')

    with op.batch_alter_table('provider_failures', schema=None) as batch_op:
        batch_op.drop_index('ix_provider_failures_time')
        batch_op.drop_index(batch_op.f('ix_provider_failures_tenant_id'))

    op.drop_table('provider_failures')
    with op.batch_alter_table('actions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_actions_tenant_id'))
        batch_op.drop_index('ix_actions_due')

    op.drop_table('actions')
