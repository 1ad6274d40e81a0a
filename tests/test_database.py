"""Migrations, schema agreement and tenant scoping, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import migrations
from resources.database import Database, DatabaseError
from resources.database.frames import rows_frame
from resources.database.scoping import UnscopedQueryError
from resources.store import schema
from tests.conftest import create_pg_database, drop_pg_database
from tests.helpers import NOW, seed_tenant


def test_upgrade_from_empty_reaches_head_and_matches_the_code(db: Database) -> None:
    assert db.schema_revision() == migrations.head_revision()
    with db.engine.connect() as conn:
        postgres = conn.dialect.name == "postgresql"
        context = MigrationContext.configure(
            conn,
            opts={"compare_type": True, "include_object": _outside_the_metadata,
                  "include_schemas": postgres, "include_name": _steward_schemas},
        )
        assert compare_metadata(context, schema.metadata if postgres else _on_sqlite()) == []


def _steward_schemas(name, type_, parent_names) -> bool:  # noqa: ANN001
    return type_ != "schema" or name in (None, "public", schema.ANALYTICS)


def _on_sqlite() -> sa.MetaData:
    """The metadata as SQLite stores it: the engine maps the `analytics` schema away."""
    copy = sa.MetaData(naming_convention=schema.metadata.naming_convention)
    for table in schema.metadata.sorted_tables:
        table.to_metadata(copy, schema=None)
    return copy


def _outside_the_metadata(obj, name, type_, reflected, compare_to) -> bool:  # noqa: ANN001
    """The full-text index is the migration's alone (FTS5 and its shadow tables, the tsvector
    column and its index): schema.SEARCH_INDEX_OBJECTS names it."""
    return not any(name == o or name.startswith(o + "_") for o in schema.SEARCH_INDEX_OBJECTS)


def test_every_tenant_table_has_an_indexed_tenant_id(db: Database) -> None:
    inspector = sa.inspect(db.engine)
    for table in schema.TENANT_TABLES:
        where = table.schema if db.is_postgres else None
        indexes = inspector.get_indexes(table.name, schema=where)
        leading = inspector.get_pk_constraint(table.name, schema=where)["constrained_columns"][:1]
        indexed = {c for ix in indexes for c in ix["column_names"]} | set(leading)
        assert "tenant_id" in indexed, table.name


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_downgrade_to_base_and_upgrade_again(backend: str, tmp_path: Path) -> None:
    if backend == "sqlite":
        db, admin_url = Database(url=f"sqlite:///{tmp_path / 'm.db'}"), None
    else:
        admin_url, _ = create_pg_database("steward_mig")
        db = Database(url=admin_url)
    try:
        db.upgrade()
        migrations.downgrade(db.engine, "base")
        assert db.schema_revision() is None
        assert "tenants" not in sa.inspect(db.engine).get_table_names()
        db.upgrade()
        assert db.schema_revision() == migrations.head_revision()
    finally:
        db.engine.dispose()
        if admin_url:
            drop_pg_database(admin_url)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_0006_renames_the_task_approach_and_keeps_every_row(backend: str, tmp_path: Path) -> None:
    """The rename keeps the tasks, their log (which a copied table would cascade away on
    SQLite) and, on PostgreSQL, the row-level security of `tasks`; the downgrade undoes it."""
    if backend == "sqlite":
        db, admin_url = Database(url=f"sqlite:///{tmp_path / 'm.db'}"), None
    else:
        admin_url, _ = create_pg_database("steward_mig")
        db = Database(url=admin_url)
    try:
        migrations.upgrade(db.engine, "0005")
        with db.engine.begin() as conn:
            tenant = "INSERT INTO tenants (slug, name, settings) VALUES ('a', 'A', '{}')"
            conn.execute(sa.text(tenant))
            conn.execute(
                sa.text(
                    "INSERT INTO tasks (tenant_id, title, strategy, strategy_reason) "
                    "SELECT id, 'Call Jane', 'blocked', 'a phone call needs a person' FROM tenants"
                )
            )
            conn.execute(
                sa.text(
                    "INSERT INTO task_events (tenant_id, task_id, event, actor) "
                    "SELECT tenant_id, id, 'created', 'cli' FROM tasks"
                )
            )
        select = "SELECT {}, {} FROM tasks"
        migrations.upgrade(db.engine, "0006")
        with db.engine.connect() as conn:
            assert conn.execute(sa.text(select.format("approach", "approach_reason"))).one() == (
                "blocked",
                "a phone call needs a person",
            )
            assert conn.execute(sa.text("SELECT count(*) FROM task_events")).scalar() == 1
            if backend == "postgres":
                policies = "SELECT count(*) FROM pg_policies WHERE tablename = 'tasks'"
                assert conn.execute(sa.text(policies)).scalar() == 1
        migrations.downgrade(db.engine, "0005")
        with db.engine.connect() as conn:
            assert conn.execute(sa.text(select.format("strategy", "strategy_reason"))).one() == (
                "blocked",
                "a phone call needs a person",
            )
            assert conn.execute(sa.text("SELECT count(*) FROM task_events")).scalar() == 1
    finally:
        db.engine.dispose()
        if admin_url:
            drop_pg_database(admin_url)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_0007_adds_the_alert_acknowledgement_and_keeps_every_alert(
    backend: str, tmp_path: Path
) -> None:
    """Alerts from before 0007 stay, with nobody named; the downgrade drops only the new columns
    and, on PostgreSQL, the row-level security of `alerts` survives both ways."""
    if backend == "sqlite":
        db, admin_url = Database(url=f"sqlite:///{tmp_path / 'm.db'}"), None
    else:
        admin_url, _ = create_pg_database("steward_mig")
        db = Database(url=admin_url)
    added = {"acknowledged_at", "acknowledged_by", "resolved_at", "resolved_by"}
    try:
        migrations.upgrade(db.engine, "0006")
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO alerts (rule, dedupe_key, title, first_seen_at, last_seen_at) "
                    "VALUES ('r', 'k', 'Disk full', '2026-11-20 14:00:00', '2026-11-20 14:00:00')"
                )
            )
        migrations.upgrade(db.engine, "0007")
        columns = {c["name"] for c in sa.inspect(db.engine).get_columns("alerts")}
        assert added <= columns
        with db.engine.connect() as conn:
            row = conn.execute(sa.text("SELECT title, acknowledged_by FROM alerts")).one()
            assert tuple(row) == ("Disk full", None)
            if backend == "postgres":
                policies = "SELECT count(*) FROM pg_policies WHERE tablename = 'alerts'"
                assert conn.execute(sa.text(policies)).scalar() == 1
        migrations.downgrade(db.engine, "0006")
        columns = {c["name"] for c in sa.inspect(db.engine).get_columns("alerts")}
        assert not added & columns
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT title FROM alerts")).scalar() == "Disk full"
    finally:
        db.engine.dispose()
        if admin_url:
            drop_pg_database(admin_url)


def test_out_of_date_database_is_refused_with_the_fix(tmp_path: Path) -> None:
    db = Database(url=f"sqlite:///{tmp_path / 'old.db'}")
    with pytest.raises(DatabaseError, match="run `steward db upgrade`"):
        db.require_current_schema()


def test_unreachable_database_gives_one_clear_line() -> None:
    db = Database(url="postgresql://nobody@127.0.0.1:1/none")
    with pytest.raises(DatabaseError, match=r"^cannot reach the database at .*127\.0\.0\.1:1"):
        db.tenants()


def test_scope_reads_updates_and_deletes_only_its_tenant(db: Database) -> None:
    seed_tenant(db, "alpha", contacts=3)
    seed_tenant(db, "beta", contacts=2)
    contacts = schema.contacts
    with db.for_tenant("alpha") as scope:
        assert scope.count(contacts) == 3
        scope.execute(sa.update(contacts).values(title="Updated"))
        scope.execute(sa.delete(contacts).where(contacts.c.email == "c0@beta.example"))
        joined = scope.execute(
            sa.select(contacts.c.email, schema.accounts.c.name).join(
                schema.accounts, schema.accounts.c.id == contacts.c.account_id, isouter=True
            )
        ).all()
        assert len(joined) == 3
    with db.for_tenant("beta") as scope:
        rows = scope.execute(scope.select(contacts.c.email, contacts.c.title)).all()
        assert len(rows) == 2
        assert all(r.title is None for r in rows)


def test_frame_reads_times_as_utc_datetimes_on_both_backends(db: Database) -> None:
    """A tenant's frame has one datetime64 UTC column per timestamp column, missing values NaT,
    whatever the backend gives (aware datetimes on PostgreSQL, naive UTC on SQLite)."""
    seed_tenant(db, "alpha", contacts=3)
    contacts = schema.contacts
    with db.for_tenant("alpha") as scope:
        scope.execute(sa.update(contacts).where(contacts.c.email == "c1@alpha.example")
                      .values(last_touch_at=None))
        frame = scope.frame(scope.select(contacts.c.email, contacts.c.last_touch_at)
                            .order_by(contacts.c.email))
        empty = scope.frame(scope.select(contacts.c.last_touch_at).where(contacts.c.id < 0))
    touched = pd.to_datetime(frame["last_touch_at"], utc=True)
    assert str(touched.dtype).startswith("datetime64") and str(touched.dt.tz) in ("UTC", "Etc/UTC")
    assert touched.isna().tolist() == [False, True, False]
    assert touched.iloc[0] == pd.Timestamp(NOW - timedelta(days=5))
    assert list(frame["email"]) == [f"c{i}@alpha.example" for i in range(3)]
    assert empty.empty and list(empty.columns) == ["last_touch_at"]


def test_rows_frame_converts_only_columns_of_aware_datetimes() -> None:
    plus_two = timezone(timedelta(hours=2))
    rows = [(1, datetime(2026, 3, 1, 5, tzinfo=plus_two), datetime(2026, 1, 1), "a"),
            (2, None, None, None)]
    frame = rows_frame(rows, ["id", "at", "naive", "text"])
    assert str(frame["at"].dtype) == "datetime64[us, UTC]"
    assert frame["at"].iloc[0] == pd.Timestamp("2026-03-01T03:00:00Z") and pd.isna(frame["at"][1])
    assert frame["naive"].dt.tz is None and frame["id"].tolist() == [1, 2]
    assert frame["text"].iloc[0] == "a" and pd.isna(frame["text"].iloc[1])


def test_update_rows_sets_each_rows_values_and_only_in_its_tenant(db: Database) -> None:
    seed_tenant(db, "alpha", contacts=3)
    seed_tenant(db, "beta", contacts=2)
    contacts = schema.contacts
    with db.for_tenant("beta") as scope:
        beta_ids = [r[0] for r in scope.execute(scope.select(contacts.c.id))]
    with db.for_tenant("alpha") as scope:
        ids = sorted(r[0] for r in scope.execute(scope.select(contacts.c.id)))
        scope.update_rows(contacts, [
            {"id": ids[0], "title": "Owner"},
            {"id": ids[1], "title": "Clerk", "company": "Acme"},
            *({"id": other, "title": "Intruder"} for other in beta_ids),
        ])
        found = {r.id: (r.title, r.company) for r in scope.execute(
            scope.select(contacts.c.id, contacts.c.title, contacts.c.company))}
    assert found == {ids[0]: ("Owner", None), ids[1]: ("Clerk", "Acme"), ids[2]: (None, None)}
    with db.for_tenant("beta") as scope:
        assert {r[0] for r in scope.execute(scope.select(contacts.c.title))} == {None}


def test_scope_refuses_what_it_cannot_scope(db: Database) -> None:
    seed_tenant(db, "alpha")
    seed_tenant(db, "beta")
    contacts = schema.contacts
    with db.for_tenant("alpha") as scope:
        with pytest.raises(UnscopedQueryError, match="raw SQL"):
            scope.execute(sa.text("SELECT * FROM contacts"))
        inner = sa.select(contacts.c.email).where(contacts.c.email.like("%beta%"))
        assert scope.execute(sa.select(sa.func.count()).select_from(inner.subquery())).scalar() == 0
        exists = sa.exists(sa.select(contacts.c.id).where(contacts.c.email.like("%beta%")))
        assert scope.execute(sa.select(sa.func.count()).where(exists)).scalar() == 0
        beta_id = scope.tenant_id + 1
        with pytest.raises(UnscopedQueryError, match="another tenant"):
            scope.insert(contacts, {"email": "x@x.example", "tenant_id": beta_id})
    with db.system() as sys, pytest.raises(UnscopedQueryError):
        sys.execute(sa.select(contacts))


def test_insert_is_stamped_with_the_scope_tenant(db: Database) -> None:
    seed_tenant(db, "alpha", contacts=0)
    with db.for_tenant("alpha") as scope:
        scope.execute(sa.insert(schema.products).values(sku="A-1", name="Appraisal", price=400))
        scope.insert(schema.products, [{"sku": "A-2", "name": "Review", "price": 150}])
        tenant_ids = {r.tenant_id for r in scope.execute(scope.select(schema.products)).all()}
        assert tenant_ids == {scope.tenant_id}


def test_outer_join_never_shows_a_row_linked_to_another_tenant(db: Database) -> None:
    seed_tenant(db, "alpha", contacts=2)
    seed_tenant(db, "beta", contacts=0)
    contacts, accounts = schema.contacts, schema.accounts
    with db.for_tenant("beta") as scope:
        beta_account = scope.scalar(scope.select(accounts.c.id))
    with db.for_tenant("alpha") as scope:
        scope.execute(sa.update(contacts).where(contacts.c.email == "c0@alpha.example")
                      .values(account_id=beta_account))
        rows = scope.execute(
            sa.select(contacts.c.email, accounts.c.name)
            .join(accounts, accounts.c.id == contacts.c.account_id, isouter=True)
            .order_by(contacts.c.email)
        ).all()
    assert ("c1@alpha.example", None) in [(r.email, r.name) for r in rows]
    assert all(r.name != "beta account" for r in rows)


def test_update_from_another_table_is_scoped_on_both(db: Database) -> None:
    seed_tenant(db, "alpha", contacts=1)
    seed_tenant(db, "beta", contacts=1)
    contacts, accounts = schema.contacts, schema.accounts
    with db.for_tenant("beta") as scope:
        scope.execute(sa.update(contacts).values(
            account_id=scope.select(accounts.c.id).scalar_subquery()))
    with db.for_tenant("alpha") as scope:
        scope.execute(sa.update(contacts).where(contacts.c.account_id == accounts.c.id)
                      .values(company=accounts.c.name))
    with db.for_tenant("beta") as scope:
        assert scope.scalar(scope.select(contacts.c.company)) is None


def test_bulk_insert_gives_left_out_columns_their_defaults(db: Database) -> None:
    seed_tenant(db, "alpha", contacts=0)
    rows = [{"name": f"a{i}"} if i % 2 else {"name": f"a{i}", "active": False}
            for i in range(600)]
    with db.for_tenant("alpha") as scope:
        assert scope.insert(schema.accounts, rows) == 600
        active = scope.execute(scope.select(schema.accounts.c.active, sa.func.count())
                               .group_by(schema.accounts.c.active)).all()
    assert dict(active) == {True: 300 + 1, False: 300}


def test_nested_selects_see_only_their_tenant(db: Database) -> None:
    """Subqueries in the columns, an IN list, EXISTS, a FROM and an UPDATE's WHERE are each
    scoped (on SQLite nothing else stands behind the scoping)."""
    seed_tenant(db, "alpha", contacts=2)
    seed_tenant(db, "beta", contacts=3)
    contacts = schema.contacts
    everyone = sa.select(sa.func.count()).select_from(contacts).scalar_subquery()
    emails = sa.select(contacts.c.email)
    counted = sa.select(contacts.c.id).subquery()
    with db.for_tenant("alpha") as scope:
        assert scope.scalar(sa.select(everyone)) == 2
        assert scope.scalar(sa.select(sa.func.count()).select_from(contacts)
                            .where(contacts.c.email.in_(emails))) == 2
        assert scope.scalar(sa.select(sa.func.count()).where(
            sa.exists().where(contacts.c.email == "c2@beta.example"))) == 0
        assert scope.scalar(sa.select(sa.func.count()).select_from(counted)) == 2
        scope.execute(sa.update(contacts).values(title="Seen")
                      .where(contacts.c.email.in_(emails)))
    with db.for_tenant("beta") as scope:
        assert scope.scalar(sa.select(sa.func.count()).select_from(contacts)
                            .where(contacts.c.title == "Seen")) == 0
