"""Task execution and strategies: task dependencies, the append-only execution log of each task,
snapshots of records before a task changes them, strategies (goal and L4 items), their
executions with events and health snapshots; tasks gain their strategy, timing and escalation.

Revision ID: 0005
Revises: 0004
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from migrations import rls

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

NEW_TENANT_TABLES = (
    "strategies",
    "strategy_executions",
    "execution_events",
    "execution_health_snapshots",
    "task_dependencies",
    "task_events",
    "task_snapshots",
)
APPEND_ONLY = "task_events"  # an execution log that could be rewritten would prove nothing


def upgrade() -> None:
    op.create_table('strategies',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('goal', sa.Text(), nullable=True),
    sa.Column('items', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_strategies_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_strategies')),
    sa.UniqueConstraint('tenant_id', 'name', name=op.f('uq_strategies_tenant_id_name'))
    )
    with op.batch_alter_table('strategies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_strategies_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('strategy_executions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('strategy_id', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('started_by', sa.String(length=200), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('paused_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('metrics', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('health', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.ForeignKeyConstraint(['strategy_id'], ['strategies.id'], name=op.f('fk_strategy_executions_strategy_id_strategies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_strategy_executions_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_strategy_executions'))
    )
    with op.batch_alter_table('strategy_executions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_strategy_executions_strategy_id'), ['strategy_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_strategy_executions_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('execution_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('execution_id', sa.BigInteger(), nullable=False),
    sa.Column('event', sa.String(length=30), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.ForeignKeyConstraint(['execution_id'], ['strategy_executions.id'], name=op.f('fk_execution_events_execution_id_strategy_executions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_execution_events_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_execution_events'))
    )
    with op.batch_alter_table('execution_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_execution_events_execution_id'), ['execution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_execution_events_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('execution_health_snapshots',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('execution_id', sa.BigInteger(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.ForeignKeyConstraint(['execution_id'], ['strategy_executions.id'], name=op.f('fk_execution_health_snapshots_execution_id_strategy_executions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_execution_health_snapshots_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_execution_health_snapshots'))
    )
    with op.batch_alter_table('execution_health_snapshots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_execution_health_snapshots_execution_id'), ['execution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_execution_health_snapshots_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('task_dependencies',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('task_id', sa.BigInteger(), nullable=False),
    sa.Column('depends_on_id', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['depends_on_id'], ['tasks.id'], name=op.f('fk_task_dependencies_depends_on_id_tasks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_task_dependencies_task_id_tasks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_task_dependencies_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task_dependencies')),
    sa.UniqueConstraint('tenant_id', 'task_id', 'depends_on_id', name=op.f('uq_task_dependencies_tenant_id_task_id_depends_on_id'))
    )
    with op.batch_alter_table('task_dependencies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_dependencies_depends_on_id'), ['depends_on_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_dependencies_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('task_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('task_id', sa.BigInteger(), nullable=False),
    sa.Column('event', sa.String(length=20), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('dry_run', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_task_events_task_id_tasks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_task_events_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task_events'))
    )
    with op.batch_alter_table('task_events', schema=None) as batch_op:
        batch_op.create_index('ix_task_events_task', ['task_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_events_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('task_snapshots',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('task_id', sa.BigInteger(), nullable=False),
    sa.Column('entity_type', sa.String(length=40), nullable=False),
    sa.Column('entity_id', sa.String(length=100), nullable=False),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_task_snapshots_task_id_tasks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_task_snapshots_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task_snapshots'))
    )
    with op.batch_alter_table('task_snapshots', schema=None) as batch_op:
        batch_op.create_index('ix_task_snapshots_task', ['task_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_snapshots_tenant_id'), ['tenant_id'], unique=False)

    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('strategy_execution_id', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('plan_key', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('strategy', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('strategy_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('timeout_s', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('started_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('duration_ms', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_tasks_strategy_execution_id_strategy_executions'), 'strategy_executions', ['strategy_execution_id'], ['id'], ondelete='SET NULL')

    rls.enable(*NEW_TENANT_TABLES)
    _refuse_changes(APPEND_ONLY)


def _refuse_changes(table: str) -> None:
    """UPDATE and DELETE on `table` raise. Deleting the task or tenant still removes its rows
    through the foreign keys' CASCADE: the log goes with what it describes, never alone. SQLite
    cannot tell a cascade from a direct DELETE in a trigger, so there only UPDATE is refused."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""CREATE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'DELETE' AND pg_trigger_depth() > 1 THEN
                    RETURN OLD;  -- a cascade from the task or tenant being deleted
                END IF;
                RAISE EXCEPTION '{table} is append-only: % refused', TG_OP;
            END $$"""
        )
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()"
        )
        return
    op.execute(
        f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: UPDATE refused'); END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {APPEND_ONLY}_append_only ON {APPEND_ONLY}")
        op.execute(f"DROP FUNCTION IF EXISTS {APPEND_ONLY}_append_only()")
    rls.disable(*NEW_TENANT_TABLES)
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_tasks_strategy_execution_id_strategy_executions'), type_='foreignkey')
        batch_op.drop_column('escalated_at')
        batch_op.drop_column('duration_ms')
        batch_op.drop_column('finished_at')
        batch_op.drop_column('started_at')
        batch_op.drop_column('timeout_s')
        batch_op.drop_column('strategy_reason')
        batch_op.drop_column('strategy')
        batch_op.drop_column('plan_key')
        batch_op.drop_column('strategy_execution_id')

    with op.batch_alter_table('task_snapshots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_task_snapshots_tenant_id'))
        batch_op.drop_index('ix_task_snapshots_task')

    op.drop_table('task_snapshots')
    with op.batch_alter_table('task_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_task_events_tenant_id'))
        batch_op.drop_index('ix_task_events_task')

    op.drop_table('task_events')
    with op.batch_alter_table('task_dependencies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_task_dependencies_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_task_dependencies_depends_on_id'))

    op.drop_table('task_dependencies')
    with op.batch_alter_table('execution_health_snapshots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_execution_health_snapshots_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_execution_health_snapshots_execution_id'))

    op.drop_table('execution_health_snapshots')
    with op.batch_alter_table('execution_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_execution_events_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_execution_events_execution_id'))

    op.drop_table('execution_events')
    with op.batch_alter_table('strategy_executions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_strategy_executions_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_strategy_executions_strategy_id'))

    op.drop_table('strategy_executions')
    with op.batch_alter_table('strategies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_strategies_tenant_id'))

    op.drop_table('strategies')
