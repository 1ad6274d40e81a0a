"""Engagement clocks kept on the contact (issue 14): our latest touch (when, type, by whom) and
their latest mail, moved forward by a trigger on touches as they are written, with
last_touch_at (the latest touch of any kind), which the application used to move itself.

The hourly plan read every contact's latest touches from the touches table with a window
function and an aggregate (a third of a tenant's engagement clocks); any writer of touches (mail
ingest, a sent mail, an import) now keeps them current instead, and they are filled in for the
touches already stored.

Revision ID: 0019
Revises: 0018
"""

from alembic import op
import sqlalchemy as sa


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

INBOUND = "touch_type LIKE '%\\_in' ESCAPE '\\'"
OUTBOUND = "touch_type NOT LIKE '%\\_in' ESCAPE '\\'"
COLUMNS = (
    ('last_outbound_at', sa.DateTime(timezone=True)),
    ('last_outbound_type', sa.String(length=30)),
    ('last_outbound_by', sa.String(length=200)),
    ('last_inbound_at', sa.DateTime(timezone=True)),
)

# Each contact's probe names its tenant, so that the touches index (tenant, contact, time)
# serves it; PostgreSQL does it in one pass over the touches instead.
SQLITE_BACKFILL = (
    "UPDATE contacts SET (last_outbound_at, last_outbound_type, last_outbound_by) = "
    "(SELECT t.occurred_at, t.touch_type, t.by_whom FROM touches t "
    "WHERE t.tenant_id = contacts.tenant_id AND t.contact_id = contacts.id "
    f"AND t.{OUTBOUND} ORDER BY t.occurred_at DESC, t.id DESC LIMIT 1)",
    "UPDATE contacts SET last_inbound_at = (SELECT max(t.occurred_at) FROM touches t "
    f"WHERE t.tenant_id = contacts.tenant_id AND t.contact_id = contacts.id AND t.{INBOUND})",
)
POSTGRES_BACKFILL = (
    "UPDATE contacts c SET last_outbound_at = n.occurred_at, last_outbound_type = n.touch_type, "
    "last_outbound_by = n.by_whom FROM (SELECT DISTINCT ON (contact_id) contact_id, "
    f"occurred_at, touch_type, by_whom FROM touches WHERE contact_id IS NOT NULL AND {OUTBOUND} "
    "ORDER BY contact_id, occurred_at DESC, id DESC) n WHERE c.id = n.contact_id",
    "UPDATE contacts c SET last_inbound_at = n.occurred_at FROM (SELECT contact_id, "
    "max(occurred_at) AS occurred_at FROM touches WHERE contact_id IS NOT NULL "
    f"AND {INBOUND} GROUP BY contact_id) n WHERE c.id = n.contact_id",
)

# SQLite: a trigger per touch row, and per direction.
SQLITE_TRIGGERS = (
    "CREATE TRIGGER contacts_follow_touch AFTER INSERT ON touches "
    "WHEN NEW.contact_id IS NOT NULL BEGIN "
    "UPDATE contacts SET last_touch_at = NEW.occurred_at WHERE id = NEW.contact_id "
    "AND (last_touch_at IS NULL OR last_touch_at < NEW.occurred_at); "
    "UPDATE contacts SET last_outbound_at = NEW.occurred_at, "
    "last_outbound_type = NEW.touch_type, last_outbound_by = NEW.by_whom "
    f"WHERE id = NEW.contact_id AND NEW.{OUTBOUND} "
    "AND (last_outbound_at IS NULL OR last_outbound_at < NEW.occurred_at); "
    "UPDATE contacts SET last_inbound_at = NEW.occurred_at "
    f"WHERE id = NEW.contact_id AND NEW.{INBOUND} "
    "AND (last_inbound_at IS NULL OR last_inbound_at < NEW.occurred_at); END",
)

# PostgreSQL: once per INSERT statement over the rows it inserted (a batch of mail is one).
POSTGRES_TRIGGERS = (
    "CREATE FUNCTION contacts_follow_touches() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "UPDATE contacts c SET last_touch_at = n.occurred_at FROM (SELECT contact_id, "
    "max(occurred_at) AS occurred_at FROM new_touches WHERE contact_id IS NOT NULL "
    "GROUP BY contact_id) n WHERE c.id = n.contact_id "
    "AND (c.last_touch_at IS NULL OR c.last_touch_at < n.occurred_at); "
    "UPDATE contacts c SET last_outbound_at = n.occurred_at, last_outbound_type = n.touch_type, "
    "last_outbound_by = n.by_whom FROM (SELECT DISTINCT ON (contact_id) contact_id, "
    "occurred_at, touch_type, by_whom FROM new_touches WHERE contact_id IS NOT NULL "
    f"AND {OUTBOUND} ORDER BY contact_id, occurred_at DESC) n WHERE c.id = n.contact_id "
    "AND (c.last_outbound_at IS NULL OR c.last_outbound_at < n.occurred_at); "
    "UPDATE contacts c SET last_inbound_at = n.occurred_at FROM (SELECT contact_id, "
    "max(occurred_at) AS occurred_at FROM new_touches WHERE contact_id IS NOT NULL "
    f"AND {INBOUND} GROUP BY contact_id) n WHERE c.id = n.contact_id "
    "AND (c.last_inbound_at IS NULL OR c.last_inbound_at < n.occurred_at); "
    "RETURN NULL; END $$",
    "CREATE TRIGGER contacts_follow_touches AFTER INSERT ON touches "
    "REFERENCING NEW TABLE AS new_touches FOR EACH STATEMENT "
    "EXECUTE FUNCTION contacts_follow_touches()",
)


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == 'postgresql'
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        for name, type_ in COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=True))
    statements = ((*POSTGRES_BACKFILL, *POSTGRES_TRIGGERS) if postgres
                  else (*SQLITE_BACKFILL, *SQLITE_TRIGGERS))
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS contacts_follow_touches ON touches")
        op.execute("DROP FUNCTION IF EXISTS contacts_follow_touches()")
    else:
        op.execute("DROP TRIGGER IF EXISTS contacts_follow_touch")
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        for name, _ in reversed(COLUMNS):
            batch_op.drop_column(name)
