"""Warehouse events written by the database with each change, and the daily facts built from
them for every tenant at once, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from resources.database import Database
from resources.database.scoping import UnscopedQueryError
from resources.store import schema
from services.warehouse.build import build_days
from tests.helpers import rows, seed_tenant

DAY = date(2026, 3, 10)
AT = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
BUILT = datetime(2026, 3, 11, 0, 30, tzinfo=UTC)


def events(db: Database, slug: str = "acme", kind: str | None = None) -> list[dict]:
    return [e for e in rows(db, schema.warehouse_events, slug)
            if kind is None or e["event_type"] == kind]


def fact(db: Database, table: sa.Table, slug: str = "acme", day: date = DAY) -> list[dict]:
    return [r for r in rows_by_key(db, table, slug) if r["day"] == day]


def rows_by_key(db: Database, table: sa.Table, slug: str) -> list[dict]:
    with db.for_tenant(slug) as scope:
        keys = [c for c in table.primary_key.columns]
        return [dict(r) for r in scope.execute(scope.select(table).order_by(*keys)).mappings()]


def order(scope, number: str, at: datetime, amount: float, status: str = "new") -> int:
    scope.insert(schema.orders, {"order_number": number, "ordered_at": at,
                                 "total_amount": amount, "status": status})
    return scope.scalar(sa.select(schema.orders.c.id)
                        .where(schema.orders.c.order_number == number))


def move_order(scope, order_id: int, status: str, at: datetime, **values) -> None:
    scope.execute(sa.update(schema.orders).where(schema.orders.c.id == order_id)
                  .values(status=status, updated_at=at, **values))


def test_a_change_writes_its_event_in_its_own_transaction(db: Database) -> None:
    seed_tenant(db, "acme")
    with db.for_tenant("acme") as scope:
        placed = order(scope, "A-1", AT, 250.0)
    with db.for_tenant("acme") as scope:
        move_order(scope, placed, "delivered", AT + timedelta(days=2),
                   delivered_at=AT + timedelta(days=2))
    with pytest.raises(RuntimeError), db.for_tenant("acme") as scope:
        move_order(scope, placed, "cancelled", AT + timedelta(days=3))
        raise RuntimeError("the change is rolled back, and its event with it")
    with db.for_tenant("acme") as scope:  # the same status again: nothing changed, no event
        move_order(scope, placed, "delivered", AT + timedelta(days=2))

    (made,) = events(db, kind="order_placed")
    assert made["payload"]["total_amount"] == 250.0 and made["entity_id"] == str(placed)
    (moved,) = events(db, kind="order_status_changed")
    assert moved["payload"]["from_status"] == "new" and moved["payload"]["to_status"] == "delivered"
    assert moved["occurred_at"].date() == (AT + timedelta(days=2)).date()
    assert moved["schema_version"] == 1


def test_events_never_carry_addresses_or_text(db: Database) -> None:
    seed_tenant(db, "acme")
    with db.for_tenant("acme") as scope:
        scope.insert(schema.messages, {"message_key": "m1", "direction": "in", "sent_at": AT,
                                       "from_addr": "pat@client.example", "subject": "Hi",
                                       "body_text": "secret terms", "classification": "inquiry"})
        scope.insert(schema.suppressions, {"email": "gone@client.example", "reason": "bounce"})
    text = repr([e["payload"] for e in events(db)])
    assert "client.example" not in text and "secret" not in text
    assert {e["event_type"] for e in events(db)} == {"message_stored", "suppression_added"}


def _history(db: Database, slug: str) -> None:
    """One day of every area for a tenant, with figures a person can count by hand."""
    with db.for_tenant(slug) as scope:
        ids = [order(scope, f"{slug}-{n}", AT + timedelta(minutes=n), 100.0 * (n + 1))
               for n in range(3)]  # 100 + 200 + 300 placed
        move_order(scope, ids[0], "delivered", AT + timedelta(hours=5),
                   delivered_at=AT + timedelta(hours=5))
        move_order(scope, ids[1], "cancelled", AT + timedelta(hours=6))
        contact = scope.scalar(sa.select(sa.func.min(schema.contacts.c.id)))
        scope.insert(schema.deals, {"title": "Big", "stage": "lead", "amount": 5000,
                                    "created_at": AT})
        deal = scope.scalar(sa.select(sa.func.max(schema.deals.c.id)))
        scope.insert(schema.deal_stage_history, {
            "deal_id": deal, "from_stage": "lead", "to_stage": "qualified",
            "changed_at": AT + timedelta(hours=2), "seconds_in_stage": 2 * 86400, "by_whom": "t"})
        scope.insert(schema.quotes, {"quote_number": f"Q-{slug}", "amount": 800,
                                     "status": "accepted", "reason_code": "price",
                                     "sent_at": AT - timedelta(days=4)})
        quote = scope.scalar(sa.select(sa.func.max(schema.quotes.c.id)))
        scope.insert(schema.quote_activities, {
            "quote_id": quote, "activity": "accepted", "from_status": "sent",
            "to_status": "accepted", "at": AT, "by_whom": "client"})
        scope.insert(schema.touches, [
            {"contact_id": contact, "touch_type": "email_in", "occurred_at": AT,
             "source_key": f"{slug}-t1"},
            {"contact_id": contact, "touch_type": "email_in",
             "occurred_at": AT + timedelta(hours=1), "source_key": f"{slug}-t2"},
            {"contact_id": contact, "touch_type": "email_out",
             "occurred_at": AT + timedelta(hours=3), "source_key": f"{slug}-t3"},
        ])
        scope.insert(schema.messages, [
            {"message_key": f"{slug}-m1", "direction": "in", "sent_at": AT, "contact_id": contact},
            {"message_key": f"{slug}-m2", "direction": "in", "sent_at": AT,
             "classification": "bounce"},
        ])
        scope.insert(schema.actions, [
            {"idempotency_key": f"{slug}-a{n}", "kind": "send_email", "status": status,
             "rule": rule, "decision_reason": "r", "decided_at": AT}
            for n, (status, rule) in enumerate([("allowed", "ok"), ("allowed", "ok"),
                                                ("blocked", "suppressed")])
        ])


def test_a_day_of_every_area_becomes_its_facts(db: Database) -> None:
    for slug in ("acme", "globex"):
        seed_tenant(db, slug)
        _history(db, slug)
    built = build_days(db, [DAY], BUILT)
    assert built.late == [] and built.rows[schema.orders_daily.name] == 2  # a row per tenant

    for slug in ("acme", "globex"):
        (orders,) = fact(db, schema.orders_daily, slug)
        assert (orders["orders_placed"], float(orders["order_value"])) == (3, 600.0)
        assert (orders["orders_delivered"], float(orders["delivered_value"])) == (1, 100.0)
        assert (orders["orders_cancelled"], float(orders["cancelled_value"])) == (1, 200.0)
        stages = {r["stage"]: r for r in fact(db, schema.pipeline_daily, slug)}
        assert stages["lead"]["deals_entered"] == 1 and stages["lead"]["deals_left"] == 1
        assert stages["lead"]["days_in_stage"] == pytest.approx(2.0)
        assert float(stages["qualified"]["value_entered"]) == 5000.0
        (won,) = fact(db, schema.quotes_daily, slug)
        assert (won["outcome"], won["reason_code"], won["quotes"]) == ("accepted", "price", 1)
        assert won["cycle_days"] == pytest.approx(4.0)
        (engagement,) = fact(db, schema.engagement_daily, slug)
        assert (engagement["touches_in"], engagement["touches_out"]) == (2, 1)
        assert engagement["contacts_touched"] == 1 and engagement["compliance_rate"] is None
        (replies,) = fact(db, schema.response_times_daily, slug)
        assert replies["replies"] == 1 and replies["minutes_total"] == pytest.approx(180.0)
        assert (replies["within_1h"], replies["within_4h"], replies["within_24h"]) == (0, 1, 1)
        (mail,) = fact(db, schema.mail_daily, slug)
        assert (mail["received"], mail["received_from_people"], mail["machine_mail"]) == (2, 1, 1)
        decisions = {(r["status"], r["rule"]): r["decisions"]
                     for r in fact(db, schema.actions_daily, slug)}
        assert decisions == {("allowed", "ok"): 2, ("blocked", "suppressed"): 1}
    view = "analytics.pipeline_by_stage" if db.is_postgres else "pipeline_by_stage"
    with db.for_tenant("acme") as scope:
        open_deals = dict(scope.conn.execute(sa.text(
            f"SELECT stage, open_deals FROM {view} WHERE tenant_id = :t"),
            {"t": scope.tenant_id}).all())
    assert open_deals == {"lead": 0, "qualified": 1}


def test_a_rebuild_gives_the_same_rows_and_a_late_event_lands_in_its_day(db: Database) -> None:
    seed_tenant(db, "acme")
    _history(db, "acme")
    build_days(db, [DAY], BUILT)
    first = fact(db, schema.orders_daily)
    build_days(db, [DAY], BUILT)
    assert fact(db, schema.orders_daily) == first

    with db.for_tenant("acme") as scope:  # imported two days late, placed on DAY
        order(scope, "late-1", AT + timedelta(hours=8), 50.0)
    next_day = DAY + timedelta(days=1)
    built = build_days(db, [next_day], BUILT + timedelta(days=1))
    assert built.late == [DAY]
    (orders,) = fact(db, schema.orders_daily)
    assert (orders["orders_placed"], float(orders["order_value"])) == (4, 650.0)
    assert build_days(db, [next_day + timedelta(days=1)], BUILT).late == []


def test_a_90_day_backfill_equals_a_day_by_day_build(db: Database, tmp_path) -> None:
    seed_tenant(db, "acme")
    days = [DAY + timedelta(days=n) for n in range(90)]
    with db.for_tenant("acme") as scope:
        for n, day in enumerate(days):
            at = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=10)
            for k in range(n % 4):
                placed = order(scope, f"R-{n}-{k}", at + timedelta(minutes=k), 10.0 * (k + 1))
                if k % 2:
                    move_order(scope, placed, "delivered", at + timedelta(days=1, hours=k),
                               delivered_at=at + timedelta(days=1, hours=k))
    build_days(db, days, BUILT)
    at_once = {t.name: rows_by_key(db, t, "acme") for t in schema.FACTS}
    with db.warehouse() as scope:
        for table in schema.FACTS:
            scope.execute(sa.delete(table))
        scope.execute(sa.delete(schema.warehouse_builds))
    for day in days:
        build_days(db, [day], BUILT)
    assert {t.name: rows_by_key(db, t, "acme") for t in schema.FACTS} == at_once
    placed = sum(r["orders_placed"] for r in at_once[schema.orders_daily.name])
    assert placed == sum(n % 4 for n in range(90))


def test_the_warehouse_scope_reaches_only_the_warehouse(db: Database) -> None:
    with pytest.raises(UnscopedQueryError), db.warehouse() as scope:
        scope.execute(sa.select(schema.orders.c.id))


def test_the_daily_asset_builds_checks_and_exports_its_day(db: Database, steward_env) -> None:
    import dagster as dg

    from assets.warehouse import warehouse_facts

    seed_tenant(db, "acme")
    _history(db, "acme")
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize([warehouse_facts], instance=instance, partition_key=DAY.isoformat(),
                            resources={"database": db})
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert checks["facts_reconcile"].passed and checks["facts_in_bounds"].passed
    (mat,) = result.asset_materializations_for_node("warehouse_facts")
    assert mat.metadata["parquet_files"].value == len(schema.FACTS)
    assert (steward_env / "warehouse" / "orders_daily" / f"day={DAY}.parquet").exists()

    with db.warehouse() as scope:  # an event lost: the facts no longer match the orders table
        scope.execute(sa.delete(schema.warehouse_events).where(
            schema.warehouse_events.c.event_type == "order_placed",
            schema.warehouse_events.c.event_key.like("order_placed:1")))
    result = dg.materialize([warehouse_facts], instance=instance, partition_key=DAY.isoformat(),
                            resources={"database": db}, raise_on_error=False)
    (reconcile,) = [c for c in result.get_asset_check_evaluations()
                    if c.check_name == "facts_reconcile"]
    assert not reconcile.passed and reconcile.severity == dg.AssetCheckSeverity.ERROR
    assert "orders_daily.orders_placed says 2, the source table 3" in str(reconcile.metadata)


def test_the_cli_builds_a_range_in_one_run_then_exports_and_reports(cli_env) -> None:
    import pandas as pd

    from tests.cli import steward

    steward(cli_env, "db", "upgrade")
    db = Database(url=cli_env.get("STEWARD_DATABASE_URL", ""))
    seed_tenant(db, "acme")
    _history(db, "acme")
    first, last = (DAY - timedelta(days=2)).isoformat(), DAY.isoformat()
    assert "not built yet" in steward(cli_env, "warehouse", "export", "--day", last,
                                      ok=False).stderr
    built = steward(cli_env, "warehouse", "build", "--from", first, "--to", last).stdout
    assert "built 3 day(s)" in built and "check facts_reconcile: passed" in built
    target = Path(cli_env["STEWARD_HOME"]) / "export"
    steward(cli_env, "warehouse", "export", "--day", last, "--folder", str(target))
    orders = pd.read_parquet(target / "orders_daily")
    assert orders[["tenant", "orders_placed"]].values.tolist() == [["acme", 3]]
    assert "newest built day: 2026-03-10" in steward(cli_env, "warehouse", "status").stdout
    assert "not a day" in steward(cli_env, "warehouse", "build", "--day", "march",
                                  ok=False).stderr


def test_removing_a_tenant_removes_its_facts(db: Database) -> None:
    from resources.store.tenants import remove_tenant

    for slug in ("acme", "globex"):
        seed_tenant(db, slug)
        _history(db, slug)
    build_days(db, [DAY], BUILT)
    remove_tenant(db, "acme")
    with db.warehouse() as scope:
        left = scope.execute(sa.select(schema.orders_daily.c.tenant_id).distinct()).scalars()
        assert list(left) == [2]
