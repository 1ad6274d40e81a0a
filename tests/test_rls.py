"""Row-level security on the real PostgreSQL server: the database itself keeps tenants apart."""

from __future__ import annotations

import psycopg
import pytest
import sqlalchemy as sa

from resources.database import Database
from resources.store import schema
from tests.helpers import seed_tenant


@pytest.fixture
def pg_db(pg_database: tuple[str, str]) -> Database:
    from tests.conftest import truncate_all

    admin_url, app_url = pg_database
    truncate_all(admin_url)
    db = Database(url=app_url)
    seed_tenant(db, "alpha", contacts=3)
    seed_tenant(db, "beta", contacts=2)
    return db


def test_runtime_role_is_bound_by_rls(pg_db: Database) -> None:
    with pg_db.engine.connect() as conn:
        row = conn.execute(sa.text(
            "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
        )).one()
        protected = conn.execute(sa.text(
            "SELECT relname FROM pg_class WHERE relkind = 'r' "
            "AND relrowsecurity AND relforcerowsecurity"
        )).scalars().all()
    assert (row.rolsuper, row.rolbypassrls) == (False, False)
    assert sorted(protected) == sorted(t.name for t in schema.TENANT_TABLES)


def test_raw_sql_inside_a_tenant_transaction_sees_only_that_tenant(pg_db: Database) -> None:
    with pg_db.for_tenant("alpha") as scope:
        emails = scope.conn.execute(sa.text("SELECT email FROM contacts")).scalars().all()
        assert sorted(emails) == [f"c{i}@alpha.example" for i in range(3)]
        changed = scope.conn.execute(sa.text("UPDATE contacts SET title = 'x'")).rowcount
        assert changed == 3
        deleted = scope.conn.execute(
            sa.text("DELETE FROM contacts WHERE email LIKE '%beta%'")).rowcount
        assert deleted == 0


def test_one_transaction_over_many_tenants_is_rebound_to_each(pg_db: Database) -> None:
    """Database.each_tenant (the sensors' probe) shares a transaction: the server must still
    show each scope its own tenant's rows alone, raw SQL included."""
    seen = {
        scope.tenant.slug: sorted(
            scope.conn.execute(sa.text("SELECT email FROM contacts")).scalars().all()
        )
        for scope in pg_db.each_tenant(["beta", "alpha", "beta"])
    }
    assert seen == {
        "alpha": [f"c{i}@alpha.example" for i in range(3)],
        "beta": [f"c{i}@beta.example" for i in range(2)],
    }


def test_writing_another_tenants_row_is_refused_by_the_server(pg_db: Database) -> None:
    with pg_db.for_tenant("beta") as scope:
        beta_id = scope.tenant_id
    with pytest.raises(sa.exc.ProgrammingError, match="row-level security"):
        with pg_db.for_tenant("alpha") as scope:
            scope.conn.execute(
                sa.text("INSERT INTO contacts (tenant_id, email) VALUES (:t, 'evil@x.example')"),
                {"t": beta_id},
            )


def test_without_a_tenant_no_tenant_rows_are_visible(pg_db: Database) -> None:
    with pg_db.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM contacts")).scalar() == 0
        assert conn.execute(sa.text("SELECT count(*) FROM tenants")).scalar() == 2


def test_bulk_insert_keeps_the_policy(pg_db: Database) -> None:
    from resources.database.bulk import COPY_THRESHOLD, copy_insert

    rows = [{"email": f"bulk{i}@alpha.example", "provenance": {"email": "import"}}
            for i in range(COPY_THRESHOLD + 50)]
    with pg_db.for_tenant("alpha") as scope:
        scope.insert(schema.contacts, rows)
        assert scope.count(schema.contacts) == 3 + len(rows)
    with pg_db.for_tenant("beta") as scope:
        beta_id = scope.tenant_id
        assert scope.count(schema.contacts) == 2
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
        with pg_db.for_tenant("alpha") as scope:
            copy_insert(scope.conn, schema.contacts, ["tenant_id", "email"],
                        [{"tenant_id": beta_id, "email": "evil@x.example"}])
