"""Documents library (issue 16): the registry gains category, detected type, extraction status
and links; pages and chunks hold the text; a per-tenant LSA model; and the full-text index.

A file seen twice is one document per tenant (unique content hash; duplicates kept at their
first row). The full-text index is outside the SQLAlchemy metadata: on SQLite an FTS5 table
`document_search` (porter stemming) kept in step by triggers, with the tenant as an indexed
token so a query intersects with the tenant's rows inside FTS5; on PostgreSQL a generated
`search` tsvector with a GIN index. Under row-level security PostgreSQL uses an index only for
LEAKPROOF operators, and `tsvector @@ tsquery` is not marked so, which turned every search
into a scan of the tenant's chunks (52 ms for 100,000): the match function reads only its two
arguments and raises no data-dependent error, so a superuser running the migration marks it.

Revision ID: 0014
Revises: 0013
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from migrations import rls


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

NEW_TENANT_TABLES = ("document_pages", "document_chunks", "document_indexes")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
NOW = sa.text('(CURRENT_TIMESTAMP)')

SQLITE_SEARCH = (
    "CREATE VIRTUAL TABLE document_search USING fts5(body, tenant, "
    "tokenize = 'porter unicode61')",
    "CREATE TRIGGER document_chunks_search_insert AFTER INSERT ON document_chunks BEGIN "
    "INSERT INTO document_search (rowid, body, tenant) VALUES (new.id, new.body, "
    "'t' || new.tenant_id); END",
    "CREATE TRIGGER document_chunks_search_delete AFTER DELETE ON document_chunks BEGIN "
    "DELETE FROM document_search WHERE rowid = old.id; END",
)
POSTGRES_SEARCH = (
    "ALTER TABLE document_chunks ADD COLUMN search tsvector "
    "GENERATED ALWAYS AS (to_tsvector('english', body)) STORED",
    "CREATE INDEX ix_document_chunks_search ON document_chunks USING gin (search)",
)
LEAKPROOF = "ALTER FUNCTION pg_catalog.ts_match_vq(tsvector, tsquery) LEAKPROOF"


def _documents_registry() -> None:
    op.execute(
        "DELETE FROM documents WHERE id NOT IN "
        "(SELECT min(id) FROM documents GROUP BY tenant_id, sha256)"
    )
    op.execute("UPDATE documents SET status = 'pending' WHERE status = 'stored'")
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_constraint('uq_documents_tenant_id_sha256_filename', type_='unique')
        batch_op.add_column(sa.Column('origin', sa.String(length=1000), nullable=True))
        batch_op.add_column(sa.Column('account_id', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('category', sa.String(length=30), server_default='other', nullable=False))
        batch_op.add_column(sa.Column('category_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('category_by', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('detected_type', sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column('needs_ocr', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('pages', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('chars', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('extractor', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('extracted_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), server_default=NOW, nullable=False))
        batch_op.alter_column('status', server_default='pending')
        batch_op.create_foreign_key(op.f('fk_documents_account_id_accounts'), 'accounts', ['account_id'], ['id'], ondelete='SET NULL')
        batch_op.create_unique_constraint(op.f('uq_documents_tenant_id_sha256'), ['tenant_id', 'sha256'])
        batch_op.create_unique_constraint(op.f('uq_documents_tenant_id_origin'), ['tenant_id', 'origin'])
        batch_op.create_index('ix_documents_status', ['tenant_id', 'status'], unique=False)


def _text_tables() -> None:
    op.create_table('document_pages',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('document_id', sa.BigInteger(), nullable=False),
    sa.Column('page', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('tables', JSON, nullable=False),
    sa.Column('extractor', sa.String(length=30), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_document_pages_document_id_documents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_document_pages_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_pages')),
    sa.UniqueConstraint('tenant_id', 'document_id', 'page', name=op.f('uq_document_pages_tenant_id_document_id_page'))
    )
    with op.batch_alter_table('document_pages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_pages_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('document_chunks',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('document_id', sa.BigInteger(), nullable=False),
    sa.Column('page', sa.Integer(), nullable=False),
    sa.Column('start', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('vector', sa.LargeBinary(), nullable=True),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_document_chunks_document_id_documents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_document_chunks_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_chunks'))
    )
    with op.batch_alter_table('document_chunks', schema=None) as batch_op:
        batch_op.create_index('ix_document_chunks_document', ['tenant_id', 'document_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_document_chunks_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('document_indexes',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.BigInteger(), nullable=False),
    sa.Column('chunks', sa.Integer(), nullable=False),
    sa.Column('built_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('model', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_document_indexes_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_indexes')),
    sa.UniqueConstraint('tenant_id', name=op.f('uq_document_indexes_tenant_id'))
    )
    with op.batch_alter_table('document_indexes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_indexes_tenant_id'), ['tenant_id'], unique=False)


def _search_index() -> None:
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        for statement in SQLITE_SEARCH:
            op.execute(statement)
        return
    for statement in POSTGRES_SEARCH:
        op.execute(statement)
    if bind.execute(sa.text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar():
        op.execute(LEAKPROOF)


def upgrade() -> None:
    _documents_registry()
    _text_tables()
    _search_index()
    rls.enable(*NEW_TENANT_TABLES)


def downgrade() -> None:
    rls.disable(*NEW_TENANT_TABLES)
    if op.get_bind().dialect.name == 'sqlite':
        op.execute("DROP TABLE IF EXISTS document_search")
    op.drop_table('document_indexes')
    op.drop_table('document_chunks')
    op.drop_table('document_pages')
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_index('ix_documents_status')
        batch_op.drop_constraint(op.f('uq_documents_tenant_id_origin'), type_='unique')
        batch_op.drop_constraint(op.f('uq_documents_tenant_id_sha256'), type_='unique')
        batch_op.drop_constraint(op.f('fk_documents_account_id_accounts'), type_='foreignkey')
        batch_op.alter_column('status', server_default='stored')
        for column in ('updated_at', 'extracted_at', 'claimed_at', 'attempts', 'extractor',
                       'chars', 'pages', 'needs_ocr', 'detected_type', 'category_by',
                       'category_reason', 'category', 'account_id', 'origin'):
            batch_op.drop_column(column)
        batch_op.create_unique_constraint('uq_documents_tenant_id_sha256_filename', ['tenant_id', 'sha256', 'filename'])
