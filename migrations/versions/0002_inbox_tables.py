"""Inbox: suppressions, signals, cadence pauses, mailbox state (checkpoint and connection status),
plus message hashes and source keys and a contact's out-of-office date.

Revision ID: 0002
Revises: 0001
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from migrations import rls

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

NEW_TENANT_TABLES = ("mailbox_state", "cadence_pauses", "signals", "suppressions")


def upgrade() -> None:
    op.create_table('mailbox_state',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('mailbox', sa.String(length=500), nullable=False),
    sa.Column('checkpoint', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('status', sa.String(length=20), server_default='never_checked', nullable=False),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('consecutive_failures', sa.Integer(), server_default='0', nullable=False),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_success_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_message_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('messages_total', sa.Integer(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_mailbox_state_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mailbox_state')),
    sa.UniqueConstraint('tenant_id', 'mailbox', name=op.f('uq_mailbox_state_tenant_id_mailbox'))
    )
    with op.batch_alter_table('mailbox_state', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mailbox_state_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('cadence_pauses',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('contact_id', sa.BigInteger(), nullable=True),
    sa.Column('message_id', sa.BigInteger(), nullable=True),
    sa.Column('thread_key', sa.String(length=500), nullable=True),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('paused_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resumed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_cadence_pauses_contact_id_contacts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_cadence_pauses_message_id_messages'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_cadence_pauses_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cadence_pauses')),
    sa.UniqueConstraint('tenant_id', 'message_id', name=op.f('uq_cadence_pauses_tenant_id_message_id'))
    )
    with op.batch_alter_table('cadence_pauses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cadence_pauses_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('signals',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('message_id', sa.BigInteger(), nullable=True),
    sa.Column('contact_id', sa.BigInteger(), nullable=True),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('strength', sa.Float(), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('actioned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_signals_contact_id_contacts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_signals_message_id_messages'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_signals_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signals')),
    sa.UniqueConstraint('tenant_id', 'message_id', 'kind', name=op.f('uq_signals_tenant_id_message_id_kind'))
    )
    with op.batch_alter_table('signals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signals_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('suppressions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('reason', sa.String(length=30), nullable=False),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('message_id', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_suppressions_message_id_messages'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_suppressions_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_suppressions')),
    sa.UniqueConstraint('tenant_id', 'email', name=op.f('uq_suppressions_tenant_id_email'))
    )
    with op.batch_alter_table('suppressions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_suppressions_tenant_id'), ['tenant_id'], unique=False)

    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ooo_until', sa.Date(), nullable=True))

    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('content_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('source_key', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('raw_path', sa.Text(), nullable=True))

    rls.enable(*NEW_TENANT_TABLES)

def downgrade() -> None:
    rls.disable(*NEW_TENANT_TABLES)
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('raw_path')
        batch_op.drop_column('source_key')
        batch_op.drop_column('content_hash')

    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_column('ooo_until')

    with op.batch_alter_table('suppressions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_suppressions_tenant_id'))

    op.drop_table('suppressions')
    with op.batch_alter_table('signals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signals_tenant_id'))

    op.drop_table('signals')
    with op.batch_alter_table('cadence_pauses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cadence_pauses_tenant_id'))

    op.drop_table('cadence_pauses')
    with op.batch_alter_table('mailbox_state', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mailbox_state_tenant_id'))

    op.drop_table('mailbox_state')
