"""Broadcasts (issue 15): campaigns with their segment, template, approval and pace, and the
audience frozen at start, one row per recipient with its batch, outbox key and status.

Revision ID: 0013
Revises: 0012
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from migrations import rls


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

NEW_TENANT_TABLES = ("broadcasts", "broadcast_recipients")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
NOW = sa.text('(CURRENT_TIMESTAMP)')


def upgrade() -> None:
    op.create_table('broadcasts',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('status', sa.String(length=20), server_default='draft', nullable=False),
    sa.Column('segment', JSON, nullable=False),
    sa.Column('template', JSON, nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('batch_size', sa.Integer(), nullable=False),
    sa.Column('pace_size', sa.Integer(), nullable=False),
    sa.Column('throttled_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('throttles', sa.Integer(), server_default='0', nullable=False),
    sa.Column('batches', sa.Integer(), server_default='0', nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=True),
    sa.Column('approved_by', sa.String(length=200), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('paused_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('paused_by', sa.String(length=200), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=NOW, nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=NOW, nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_broadcasts_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_broadcasts')),
    sa.UniqueConstraint('tenant_id', 'name', name=op.f('uq_broadcasts_tenant_id_name'))
    )
    with op.batch_alter_table('broadcasts', schema=None) as batch_op:
        batch_op.create_index('ix_broadcasts_status', ['tenant_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_broadcasts_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('broadcast_recipients',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('broadcast_id', sa.BigInteger(), nullable=False),
    sa.Column('contact_id', sa.BigInteger(), nullable=True),
    sa.Column('address', sa.String(length=320), nullable=True),
    sa.Column('vars', JSON, nullable=False),
    sa.Column('status', sa.String(length=20), server_default='pending', nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('batch', sa.Integer(), nullable=True),
    sa.Column('outbox_key', sa.String(length=300), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=NOW, nullable=False),
    sa.ForeignKeyConstraint(['broadcast_id'], ['broadcasts.id'], name=op.f('fk_broadcast_recipients_broadcast_id_broadcasts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_broadcast_recipients_contact_id_contacts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_broadcast_recipients_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_broadcast_recipients')),
    sa.UniqueConstraint('tenant_id', 'broadcast_id', 'contact_id', name=op.f('uq_broadcast_recipients_tenant_id_broadcast_id_contact_id'))
    )
    with op.batch_alter_table('broadcast_recipients', schema=None) as batch_op:
        batch_op.create_index('ix_broadcast_recipients_key', ['tenant_id', 'outbox_key'], unique=False)
        batch_op.create_index('ix_broadcast_recipients_status', ['tenant_id', 'broadcast_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_broadcast_recipients_tenant_id'), ['tenant_id'], unique=False)

    rls.enable(*NEW_TENANT_TABLES)


def downgrade() -> None:
    rls.disable(*NEW_TENANT_TABLES)
    op.drop_table('broadcast_recipients')
    op.drop_table('broadcasts')
