"""What receivers say about mail we sent: bounces by reason and spam complaints, each matched to
the outbox row it answers.

`delivery_feedback` keeps one row per report and address (soft bounces suppress only after
several in a window, so each one counts), and `outbox.message_id` holds the Message-ID a message
went out under, which is what a bounce or a feedback report names. Messages already sent have it
at the front of `provider_ref` ("<id> 250 ok"); the upgrade copies it from there, one tenant at a
time with that tenant set (row-level security binds the table owner too, migrations/rls.py).

Revision ID: 0009
Revises: 0008
"""

from alembic import op
import sqlalchemy as sa

from migrations import rls


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('delivery_feedback',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('message_id', sa.BigInteger(), nullable=True),
    sa.Column('outbox_id', sa.BigInteger(), nullable=True),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=True),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_delivery_feedback_message_id_messages'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['outbox_id'], ['outbox.id'], name=op.f('fk_delivery_feedback_outbox_id_outbox'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_delivery_feedback_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delivery_feedback')),
    sa.UniqueConstraint('tenant_id', 'message_id', 'email', name=op.f('uq_delivery_feedback_tenant_id_message_id_email'))
    )
    with op.batch_alter_table('delivery_feedback', schema=None) as batch_op:
        batch_op.create_index('ix_delivery_feedback_email', ['tenant_id', 'email', 'occurred_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_delivery_feedback_tenant_id'), ['tenant_id'], unique=False)

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message_id', sa.String(length=500), nullable=True))
        batch_op.create_index('ix_outbox_message_id', ['tenant_id', 'message_id'], unique=False)

    rls.enable('delivery_feedback')
    _copy_sent_message_ids()


def _copy_sent_message_ids() -> None:
    bind = op.get_bind()
    scoped = bind.dialect.name == "postgresql"
    sent = sa.text(
        "SELECT id, provider_ref FROM outbox WHERE tenant_id = :tenant AND provider_ref LIKE '<%>%'"
    )
    update = sa.text("UPDATE outbox SET message_id = :mid WHERE id = :id")
    for tenant in bind.execute(sa.text("SELECT id FROM tenants ORDER BY id")).scalars():
        if scoped:
            bind.execute(
                sa.text("SELECT set_config('steward.tenant_id', :tenant, true)"),
                {"tenant": str(tenant)},
            )
        rows = bind.execute(sent, {"tenant": tenant}).all()
        ids = [{"id": row.id, "mid": row.provider_ref[1:].partition(">")[0]} for row in rows]
        if ids:
            bind.execute(update, ids)
    if scoped:
        bind.execute(sa.text("SELECT set_config('steward.tenant_id', '', true)"))


def downgrade() -> None:
    rls.disable('delivery_feedback')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_message_id')
        batch_op.drop_column('message_id')

    with op.batch_alter_table('delivery_feedback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delivery_feedback_tenant_id'))
        batch_op.drop_index('ix_delivery_feedback_email')

    op.drop_table('delivery_feedback')
