"""Cadences (issue 14): an entity's enrollment in a follow-up sequence, each step it planned under
the key that is also its ledger and outbox key, a deal's stage history with durations, and why
a deal needs a person's attention.

Revision ID: 0010
Revises: 0009
"""

from alembic import op
import sqlalchemy as sa

from migrations import rls


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

NEW_TENANT_TABLES = ("cadence_enrollments", "cadence_steps", "deal_stage_history")


def upgrade() -> None:
    op.create_table('cadence_enrollments',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('cadence', sa.String(length=60), nullable=False),
    sa.Column('entity_type', sa.String(length=20), nullable=False),
    sa.Column('entity_id', sa.BigInteger(), nullable=False),
    sa.Column('round', sa.Integer(), server_default='1', nullable=False),
    sa.Column('contact_id', sa.BigInteger(), nullable=True),
    sa.Column('address', sa.String(length=320), nullable=True),
    sa.Column('status', sa.String(length=20), server_default='active', nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('steps_planned', sa.Integer(), server_default='0', nullable=False),
    sa.Column('next_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('waiting', sa.Text(), nullable=True),
    sa.Column('paused_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('end_reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_cadence_enrollments_contact_id_contacts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_cadence_enrollments_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cadence_enrollments')),
    sa.UniqueConstraint('tenant_id', 'cadence', 'entity_type', 'entity_id', 'round', name=op.f('uq_cadence_enrollments_tenant_id_cadence_entity_type_entity_id_round'))
    )
    with op.batch_alter_table('cadence_enrollments', schema=None) as batch_op:
        batch_op.create_index('ix_cadence_enrollments_status', ['tenant_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_cadence_enrollments_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('cadence_steps',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('enrollment_id', sa.BigInteger(), nullable=True),
    sa.Column('step', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=300), nullable=False),
    sa.Column('cycle_hour', sa.DateTime(timezone=True), nullable=False),
    sa.Column('planned_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['enrollment_id'], ['cadence_enrollments.id'], name=op.f('fk_cadence_steps_enrollment_id_cadence_enrollments'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_cadence_steps_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cadence_steps')),
    sa.UniqueConstraint('tenant_id', 'enrollment_id', 'step', name=op.f('uq_cadence_steps_tenant_id_enrollment_id_step'))
    )
    with op.batch_alter_table('cadence_steps', schema=None) as batch_op:
        batch_op.create_index('ix_cadence_steps_key', ['tenant_id', 'idempotency_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_cadence_steps_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('deal_stage_history',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('deal_id', sa.BigInteger(), nullable=True),
    sa.Column('from_stage', sa.String(length=30), nullable=True),
    sa.Column('to_stage', sa.String(length=30), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('seconds_in_stage', sa.BigInteger(), nullable=True),
    sa.Column('by_whom', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['deal_id'], ['deals.id'], name=op.f('fk_deal_stage_history_deal_id_deals'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_deal_stage_history_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deal_stage_history'))
    )
    with op.batch_alter_table('deal_stage_history', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deal_stage_history_tenant_id'), ['tenant_id'], unique=False)

    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('needs_attention', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('needs_attention_at', sa.DateTime(timezone=True), nullable=True))

    rls.enable(*NEW_TENANT_TABLES)


def downgrade() -> None:
    rls.disable(*NEW_TENANT_TABLES)
    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.drop_column('needs_attention_at')
        batch_op.drop_column('needs_attention')

    with op.batch_alter_table('deal_stage_history', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deal_stage_history_tenant_id'))

    op.drop_table('deal_stage_history')
    with op.batch_alter_table('cadence_steps', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cadence_steps_tenant_id'))
        batch_op.drop_index('ix_cadence_steps_key')

    op.drop_table('cadence_steps')
    with op.batch_alter_table('cadence_enrollments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cadence_enrollments_tenant_id'))
        batch_op.drop_index('ix_cadence_enrollments_status')

    op.drop_table('cadence_enrollments')
