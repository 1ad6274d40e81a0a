"""What starts the cycle and order validation: the hourly schedule and the new-order sensor,
evaluated as the daemon would, and the order validation asset they launch. The clock is moved to
just after AT (`clock_at`), where the demo data is dated, so no test depends on the day."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import dagster as dg
import pytest

from assets.hour import HOUR_TAG
from assets.orders import order_validation
from assets.partitions import TENANTS, partition_tags
from pipelines.demo import DemoSize, generate_demo
from pipelines.schedules import batches, cycle_schedule
from resources.database import Database
from resources.mailer import Mailer
from resources.store import schema
from resources.store.system_config import set_database_flag
from sensors.orders import new_orders_sensor
from tests.helpers import clock_at, resources, rows, seed_tenant

SIZE = DemoSize(tenants=2, accounts=5, contacts=10, orders=12, deals=2, quotes=1, messages=0,
                documents=0)
AT = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clock():
    with clock_at(AT + timedelta(minutes=5)):
        yield


def demo(db: Database, tmp_path) -> list[str]:
    generate_demo(db, tmp_path / "demo", size=SIZE, now=AT, write_files=False)
    return [t.slug for t in db.tenants()]


def test_the_hourly_schedule_launches_every_tenant_for_its_hour(db, tmp_path, monkeypatch):
    monkeypatch.setenv("STEWARD_DATABASE_URL", db.resolved_url())
    monkeypatch.delenv("STEWARD_KILL_SWITCH", raising=False)
    slugs = demo(db, tmp_path)
    (tmp_path / "dg").mkdir()
    with (
        dg.DagsterInstance.local_temp(str(tmp_path / "dg")) as instance,
        dg.build_schedule_context(
            instance=instance, scheduled_execution_time=AT, resources={"database": db}
        ) as context,
    ):
        assert isinstance(cycle_schedule(context), dg.SkipReason)  # no partitions yet
        instance.add_dynamic_partitions(TENANTS, slugs)
        (request,) = cycle_schedule(context)
        assert request.tags[HOUR_TAG] == "2026-11-24T14"
        assert request.tags.items() >= partition_tags(slugs).items()
        assert request.run_key == "cycle:2026-11-24T14:0"
        set_database_flag(db, True, "maintenance", "test")
        skipped = cycle_schedule(context)
    assert isinstance(skipped, dg.SkipReason) and "maintenance" in skipped.skip_message


def test_many_tenants_are_split_into_few_runs():
    slugs = [f"t{n:04d}" for n in range(1000)]
    runs = batches(slugs)
    assert len(runs) == 2 and sum(len(b) for b in runs) == 1000 and runs[1][0] == "t0500"


def test_the_new_order_sensor_requests_each_new_order_once_in_one_run(db, tmp_path, monkeypatch):
    monkeypatch.delenv("STEWARD_KILL_SWITCH", raising=False)
    slugs = demo(db, tmp_path)
    with dg.DagsterInstance.ephemeral() as instance:
        early = new_orders_sensor(dg.build_sensor_context(instance=instance,
                                                          resources={"database": db}))
        assert not early.run_requests  # the registry sensor has not added the partitions yet
        assert "2 tenant(s) wait for their partition" in early.skip_reason.skip_message
        instance.add_dynamic_partitions(TENANTS, slugs)
        first = new_orders_sensor(dg.build_sensor_context(
            instance=instance, cursor=early.cursor, resources={"database": db}))
        (request,) = first.run_requests  # one run for every tenant with new orders
        assert request.tags.items() >= partition_tags(slugs).items()
        assert request.tags["steward/area"] == "orders" and HOUR_TAG in request.tags
        again = new_orders_sensor(dg.build_sensor_context(
            instance=instance, cursor=first.cursor, resources={"database": db}))
        assert not again.run_requests and "no new orders" in again.skip_reason.skip_message
        with db.for_tenant(slugs[0]) as scope:
            scope.insert(schema.orders, {"order_number": "ORD-NEW", "ordered_at": AT,
                                         "fee_amount": 100, "total_amount": 100})
        third = new_orders_sensor(dg.build_sensor_context(
            instance=instance, cursor=again.cursor, resources={"database": db}))
        (request,) = third.run_requests
        assert request.tags.items() >= partition_tags([slugs[0]]).items()
        assert request.run_key != first.run_requests[0].run_key
        assert json.loads(third.cursor)[slugs[0]] > json.loads(again.cursor)[slugs[0]]
        set_database_flag(db, True, "storm", "test")
        stopped = new_orders_sensor(dg.build_sensor_context(
            instance=instance, cursor=third.cursor, resources={"database": db}))
    assert isinstance(stopped, dg.SkipReason)


def test_a_burst_of_orders_across_many_tenants_is_one_run(db, monkeypatch):
    monkeypatch.delenv("STEWARD_KILL_SWITCH", raising=False)
    slugs = [f"t{n:03d}" for n in range(40)]
    for slug in slugs:
        seed_tenant(db, slug, contacts=1)
        with db.for_tenant(slug) as scope:
            scope.insert(schema.orders, {"order_number": f"ORD-{slug}", "ordered_at": AT,
                                         "fee_amount": 100, "total_amount": 100})
    with dg.DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions(TENANTS, slugs)
        tick = new_orders_sensor(dg.build_sensor_context(instance=instance,
                                                         resources={"database": db}))
    (request,) = tick.run_requests
    assert request.tags.items() >= partition_tags(slugs).items()
    assert set(json.loads(tick.cursor)) == set(slugs)


def test_order_validation_records_exceptions_and_applies_fixes(db, tmp_path, monkeypatch):
    monkeypatch.delenv("STEWARD_KILL_SWITCH", raising=False)
    slugs = demo(db, tmp_path)
    with db.for_tenant(slugs[0]) as scope:
        scope.insert(schema.orders, {
            "order_number": "ORD-NO-TOTAL", "ordered_at": AT, "product_sku": "DESK-REVIEW",
            "billing_type": "prepaid", "fee_amount": 175, "tech_fee": 0,
            "property_address": "1 Main St", "borrower_phone": "555-0100"})
        if db.is_postgres:  # NaN fits PostgreSQL's numeric; SQLite has no such value
            scope.insert(schema.orders, {
                "order_number": "ORD-NAN", "ordered_at": AT, "fee_amount": float("nan"),
                "billing_type": "prepaid", "property_address": "2 Main St",
                "borrower_phone": "555-0101"})
    with dg.DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions(TENANTS, slugs)
        result = dg.materialize([order_validation], instance=instance,
                                tags=partition_tags(slugs),
                                resources=resources(db, Mailer(outbox_dir=str(tmp_path / "ob"))))
    assert result.success
    orders = {o["order_number"]: o for o in rows(db, schema.orders, slugs[0])}
    assert float(orders["ORD-NO-TOTAL"]["total_amount"]) == 175.0
    assert orders["ORD-NO-TOTAL"]["status"] == "validated"
    exceptions = rows(db, schema.order_exceptions, slugs[0])
    assert exceptions and all(e["reason"] and e["severity"] in ("error", "warning")
                              for e in exceptions)
    if db.is_postgres:
        assert orders["ORD-NAN"]["status"] == "on_hold"
        assert "invalid_fee_amount" in {e["rule"] for e in exceptions
                                        if e["order_id"] == orders["ORD-NAN"]["id"]}
