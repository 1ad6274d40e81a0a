"""Mail that failed for want of a sender address goes through dispatch again.

Before this release a tenant could be set to a live send mode without a from address, and the
dispatcher then failed each of its messages ("no sender address: ...") for good. A missing
setting is now a configuration problem: the mail waits, with an alert naming the fix, and goes
once the owner has set a sender (services/config_problems.py). This data migration gives the
messages that failed that way back to the outbox as pending and due, their attempts reset (the
sender check came before any connection, so none of them reached a server): the next dispatch
pass sends them if the tenant has a sender by then, and otherwise makes them wait and alerts.

Only `outbox` carries delivery outcomes; the action ledger (`actions`) recorded the gate's
decision (queued) and is left as it is. On PostgreSQL the outbox's row-level security binds the
table owner too (migrations/rls.py), so the rows are updated one tenant at a time with that
tenant set, as the application does. The downgrade has nothing to undo: the previous release
fails such a message again on its next pass.

Revision ID: 0008
Revises: 0007
"""

from alembic import op
import sqlalchemy as sa

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

REASON = "no sender address:%"
NOTE = (
    "requeued by migration 0008: it had failed for want of a sender address, which now waits "
    "for the tenant's from_address instead of failing"
)


def upgrade() -> None:
    bind = op.get_bind()
    requeue = sa.text(
        "UPDATE outbox SET status = 'pending', attempts = 0, not_before = NULL, "
        "claimed_at = NULL, claimed_by = NULL, last_error = :note, updated_at = CURRENT_TIMESTAMP "
        "WHERE tenant_id = :tenant AND status = 'failed' AND last_error LIKE :reason"
    )
    scoped = bind.dialect.name == "postgresql"
    for tenant in bind.execute(sa.text("SELECT id FROM tenants ORDER BY id")).scalars():
        if scoped:
            bind.execute(
                sa.text("SELECT set_config('steward.tenant_id', :tenant, true)"),
                {"tenant": str(tenant)},
            )
        bind.execute(requeue, {"note": NOTE, "tenant": tenant, "reason": REASON})
    if scoped:  # the rest of the migration transaction sees no tenant, as before
        bind.execute(sa.text("SELECT set_config('steward.tenant_id', '', true)"))


def downgrade() -> None:
    pass
