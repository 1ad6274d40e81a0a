"""Compliance checks (issue 15): a tenant's recurring check schedules, one check per schedule,
entity and period with its validation, completion, waiver and escalation, and a profile on
contacts (accounts have one) for the fields the checks verify.

Revision ID: 0012
Revises: 0011
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from migrations import rls


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

NEW_TENANT_TABLES = ("compliance_schedules", "compliance_checks")


def upgrade() -> None:
    op.create_table('compliance_schedules',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('spec', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_by', sa.String(length=200), nullable=True),
    sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('removed_by', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_compliance_schedules_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compliance_schedules')),
    sa.UniqueConstraint('tenant_id', 'name', name=op.f('uq_compliance_schedules_tenant_id_name'))
    )
    with op.batch_alter_table('compliance_schedules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_compliance_schedules_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('compliance_checks',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('schedule_id', sa.BigInteger(), nullable=False),
    sa.Column('entity_type', sa.String(length=20), nullable=False),
    sa.Column('entity_id', sa.BigInteger(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=20), server_default='open', nullable=False),
    sa.Column('problems', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_by', sa.String(length=200), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('waived_by', sa.String(length=200), nullable=True),
    sa.Column('waived_until', sa.Date(), nullable=True),
    sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['schedule_id'], ['compliance_schedules.id'], name=op.f('fk_compliance_checks_schedule_id_compliance_schedules'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_compliance_checks_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compliance_checks')),
    sa.UniqueConstraint('tenant_id', 'schedule_id', 'entity_type', 'entity_id', 'due_on', name=op.f('uq_compliance_checks_period'))
    )
    with op.batch_alter_table('compliance_checks', schema=None) as batch_op:
        batch_op.create_index('ix_compliance_checks_status', ['tenant_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_compliance_checks_tenant_id'), ['tenant_id'], unique=False)

    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('profile', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True))

    rls.enable(*NEW_TENANT_TABLES)


def downgrade() -> None:
    rls.disable(*NEW_TENANT_TABLES)
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_column('profile')

    with op.batch_alter_table('compliance_checks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_compliance_checks_tenant_id'))
        batch_op.drop_index('ix_compliance_checks_status')

    op.drop_table('compliance_checks')
    with op.batch_alter_table('compliance_schedules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_compliance_schedules_tenant_id'))

    op.drop_table('compliance_schedules')
