"""Inquiries answered from documents (issue 16): each cycle looks up a tenant's recent
inquiries and whether mail of ours followed them in their thread, so both lookups get an index.

Revision ID: 0015
Revises: 0014
"""

from alembic import op


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index('ix_messages_classification', ['tenant_id', 'classification'],
                              unique=False)
        batch_op.create_index('ix_messages_thread', ['tenant_id', 'thread_key'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_thread')
        batch_op.drop_index('ix_messages_classification')
