"""The hourly cycle: a database lock per tenant (second line behind Dagster's concurrency
limit), order exceptions, the plan and metrics of each cycle, one cycle row per tenant and hour
and one reflection per cycle (so a rerun of the hour updates instead of adding).

Revision ID: 0004
Revises: 0003
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from migrations import rls

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

NEW_TENANT_TABLES = ("cycle_locks", "order_exceptions")


def upgrade() -> None:
    op.create_table('cycle_locks',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('holder', sa.String(length=200), nullable=False),
    sa.Column('cycle_hour', sa.DateTime(timezone=True), nullable=False),
    sa.Column('acquired_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_cycle_locks_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cycle_locks')),
    sa.UniqueConstraint('tenant_id', name=op.f('uq_cycle_locks_tenant_id'))
    )
    with op.batch_alter_table('cycle_locks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cycle_locks_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('order_exceptions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('order_id', sa.BigInteger(), nullable=True),
    sa.Column('rule', sa.String(length=60), nullable=False),
    sa.Column('severity', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), server_default='open', nullable=False),
    sa.Column('detected_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_exceptions_order_id_orders'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_order_exceptions_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_exceptions')),
    sa.UniqueConstraint('tenant_id', 'order_id', 'rule', name=op.f('uq_order_exceptions_tenant_id_order_id_rule'))
    )
    with op.batch_alter_table('order_exceptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_exceptions_tenant_id'), ['tenant_id'], unique=False)

    with op.batch_alter_table('agent_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('plan', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True))
        batch_op.add_column(sa.Column('metrics', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_agent_runs_tenant_id_cycle_hour'), ['tenant_id', 'cycle_hour'])

    with op.batch_alter_table('reflections', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_reflections_tenant_id_agent_run_id'), ['tenant_id', 'agent_run_id'])

    rls.enable(*NEW_TENANT_TABLES)


def downgrade() -> None:
    rls.disable(*NEW_TENANT_TABLES)
    with op.batch_alter_table('reflections', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_reflections_tenant_id_agent_run_id'), type_='unique')

    with op.batch_alter_table('agent_runs', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_agent_runs_tenant_id_cycle_hour'), type_='unique')
        batch_op.drop_column('metrics')
        batch_op.drop_column('plan')

    with op.batch_alter_table('order_exceptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_exceptions_tenant_id'))

    op.drop_table('order_exceptions')
    with op.batch_alter_table('cycle_locks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cycle_locks_tenant_id'))

    op.drop_table('cycle_locks')
