"""The engagement clocks the database keeps on each contact as touches are written (migration
0019), on both backends: moved forward by any writer, never back; their mail never resets ours."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

import migrations
from resources.database import Database
from resources.store import schema
from resources.store.contacts import record_touches
from resources.store.tenants import add_tenant
from services.clocks import engagement_clocks
from tests.conftest import create_pg_database, drop_pg_database
from tests.helpers import NOW, seed_tenant


def ago(days: float):
    return NOW - timedelta(days=days)


def touch(contact_id: int, kind: str, days: float, key: str, by: str = "steward") -> dict:
    return {"contact_id": contact_id, "touch_type": kind, "occurred_at": ago(days),
            "by_whom": by, "source_key": key}


def instant(value) -> pd.Timestamp:
    """The stored time as a UTC timestamp (aware on PostgreSQL, naive UTC on SQLite)."""
    return pd.to_datetime(value, utc=True)


def contact_row(db: Database, email: str) -> dict:
    with db.for_tenant("alpha") as scope:
        return dict(scope.execute(scope.select(schema.contacts)
                                  .where(schema.contacts.c.email == email)).mappings().one())


def test_touches_move_each_contacts_clocks_forward_and_never_back(db: Database) -> None:
    seed_tenant(db, "alpha", contacts=2, touched_days_ago=60)
    first = contact_row(db, "c0@alpha.example")["id"]
    with db.for_tenant("alpha") as scope:
        record_touches(scope, [touch(first, "email_out", 30, "a"),
                               touch(first, "call", 25, "b", by="human:kenny"),
                               touch(first, "email_in", 2, "c", by="contact:c0@alpha.example")])
    with db.for_tenant("alpha") as scope:  # late arrivals, older than what is kept
        record_touches(scope, [touch(first, "email_out", 40, "d"),
                               touch(first, "email_in", 10, "e")])
        record_touches(scope, [touch(first, "email_out", 25, "b")])  # the same touch again
    row = contact_row(db, "c0@alpha.example")
    assert instant(row["last_outbound_at"]) == pd.Timestamp(ago(25))
    assert (row["last_outbound_type"], row["last_outbound_by"]) == ("call", "human:kenny")
    assert instant(row["last_inbound_at"]) == pd.Timestamp(ago(2))
    assert instant(row["last_touch_at"]) == pd.Timestamp(ago(2))
    untouched = contact_row(db, "c1@alpha.example")
    assert untouched["last_outbound_at"] is None and untouched["last_inbound_at"] is None

    with db.for_tenant("alpha") as scope:
        clocks = engagement_clocks(scope, NOW).set_index("email")
    mine = clocks.loc["c0@alpha.example"]
    # their mail two days ago is someone waiting, not a touch of ours: 25 days since the call
    assert (mine["status"], mine["days_overdue"]) == ("overdue", 4)
    assert mine["last_touch_type"] == "call" and mine["recent_inbound"]
    # a touch recorded by hand (seed_tenant's last_touch_at, 60 days ago) still counts
    other = clocks.loc["c1@alpha.example"]
    assert other["last_touch_type"] == "recorded" and other["days_overdue"] == 39


def test_touches_of_one_tenant_leave_the_others_contacts_alone(db: Database) -> None:
    seed_tenant(db, "alpha", contacts=1)
    seed_tenant(db, "beta", contacts=1)
    first = contact_row(db, "c0@alpha.example")["id"]
    with db.for_tenant("alpha") as scope:
        record_touches(scope, [touch(first, "email_out", 1, "a")])
    with db.for_tenant("beta") as scope:
        row = scope.execute(scope.select(schema.contacts)).mappings().one()
    assert row["last_outbound_at"] is None


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_0019_fills_the_clocks_from_the_touches_already_stored(backend: str,
                                                               tmp_path: Path) -> None:
    if backend == "sqlite":
        db, admin_url = Database(url=f"sqlite:///{tmp_path / 'm.db'}"), None
    else:
        admin_url, _ = create_pg_database("steward_mig")
        db = Database(url=admin_url)
    try:
        migrations.upgrade(db.engine, "0018")
        add_tenant(db, "alpha")
        with db.engine.begin() as conn:
            tenant = conn.execute(sa.text("SELECT id FROM tenants")).scalar()
            contact = conn.execute(sa.text(
                "INSERT INTO contacts (tenant_id, email, source, created_at, updated_at) "
                "VALUES (:t, 'x@alpha.example', 'manual', :now, :now) RETURNING id"),
                {"t": tenant, "now": ago(100)}).scalar()
            for key, kind, days, by in (("a", "email_out", 30, "steward"),
                                        ("b", "meeting", 20, "human:ann"),
                                        ("c", "email_in", 5, "contact"),
                                        ("d", "email_in", 8, "contact")):
                conn.execute(sa.text(
                    "INSERT INTO touches (tenant_id, contact_id, touch_type, occurred_at, "
                    "by_whom, source_key, created_at) VALUES (:t, :c, :k, :at, :by, :key, :at)"),
                    {"t": tenant, "c": contact, "k": kind, "at": ago(days), "by": by,
                     "key": key})
        migrations.upgrade(db.engine, "0019")
        with db.engine.connect() as conn:
            row = conn.execute(sa.text(
                "SELECT last_outbound_at, last_outbound_type, last_outbound_by, "
                "last_inbound_at FROM contacts")).one()
        assert instant(row[0]) == pd.Timestamp(ago(20))
        assert row[1:3] == ("meeting", "human:ann")
        assert instant(row[3]) == pd.Timestamp(ago(5))
        migrations.downgrade(db.engine, "0018")
        columns = {c["name"] for c in sa.inspect(db.engine).get_columns("contacts")}
        assert "last_outbound_at" not in columns
        with db.engine.begin() as conn:  # the trigger went with the columns
            conn.execute(sa.text(
                "INSERT INTO touches (tenant_id, contact_id, touch_type, occurred_at, by_whom, "
                "source_key, created_at) VALUES (:t, :c, 'call', :at, 'x', 'e', :at)"),
                {"t": tenant, "c": contact, "at": ago(1)})
    finally:
        db.engine.dispose()
        if admin_url:
            drop_pg_database(admin_url)


def test_the_trigger_plans_against_the_contacts_table_as_it_is_now() -> None:
    """A session that wrote touches while contacts was small, then loaded many contacts, must
    not keep the plan it made then: 0019's statements, planned once per session, scanned the
    whole table for every batch of touches written after (migration 0020)."""
    admin_url, _ = create_pg_database("steward_plan")
    db = Database(url=admin_url)
    try:
        db.upgrade()
        add_tenant(db, "alpha")
        insert_touch = sa.text(
            "INSERT INTO touches (tenant_id, contact_id, touch_type, occurred_at, by_whom, "
            "source_key, created_at) SELECT :t, g, 'email_out', :at, 'steward', :key || g, :at "
            "FROM generate_series(1, CAST(:last AS int)) g")  # contacts 1..last: a new table
        add_contacts = sa.text(
            "INSERT INTO contacts (tenant_id, email, source, created_at, updated_at) "
            "SELECT :t, 'c' || g || '@alpha.example', 'import', :at, :at "
            "FROM generate_series(CAST(:first AS int), CAST(:last AS int)) g")
        scans = sa.text("SELECT seq_scan FROM pg_stat_xact_user_tables WHERE relname = 'contacts'")
        with db.engine.begin() as conn:  # one session, one transaction: no ANALYZE in between
            tenant = conn.execute(sa.text("SELECT id FROM tenants")).scalar()
            conn.execute(add_contacts, {"t": tenant, "at": ago(1), "first": 1, "last": 5})
            conn.execute(insert_touch, {"t": tenant, "at": ago(1), "last": 5, "key": "a"})
            conn.execute(add_contacts, {"t": tenant, "at": ago(1), "first": 6, "last": 60_000})
            before = conn.execute(scans).scalar()
            conn.execute(insert_touch, {"t": tenant, "at": NOW, "last": 3, "key": "b"})
            after = conn.execute(scans).scalar()
            moved = conn.execute(sa.text(
                "SELECT count(*) FROM contacts WHERE last_outbound_at = :now"), {"now": NOW})
            assert moved.scalar() == 3
        assert after == before
    finally:
        db.engine.dispose()
        drop_pg_database(admin_url)
