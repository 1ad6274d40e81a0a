"""The hourly cycle end to end through Dagster on the demo data: four phases, records and
reflections, reruns that send nothing twice, replays, switches, one tenant's failure, locks.

The cycle reads the clock for its hour, so every test runs with the clock moved to NOW (a Tuesday
afternoon; `clock_at`, ticking): the same hour, data and decisions on any day.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest

from agent.alerts import CYCLE_LOCK_TTL
from assets.cycle import cycle_phases
from assets.hour import HOUR_TAG
from assets.partitions import TENANTS, partition_tags
from pipelines.demo import DemoSize, generate_demo
from resources.database import Database
from resources.mailer import Mailer
from resources.store import cycle_lock as lock
from resources.store import schema
from resources.store.system_config import set_database_flag
from resources.store.tenants import set_enabled, update_tenant
from services.cycle.phases import Cycle, plan_phase
from tests.helpers import clock_at, resources, rows
from tests.smtp_sink import SmtpSink

CYCLE = [cycle_phases]
SIZE = DemoSize(
    tenants=2, accounts=6, contacts=30, orders=16, deals=6, quotes=3, messages=0, documents=0
)
NOW = datetime(2026, 11, 24, 15, 5, tzinfo=UTC)
HOUR = NOW.replace(minute=0)


@pytest.fixture(autouse=True)
def clock():
    with clock_at(NOW):
        yield


@pytest.fixture
def demo(db: Database, tmp_path: Path, monkeypatch) -> tuple[Database, list[str]]:
    monkeypatch.delenv("STEWARD_KILL_SWITCH", raising=False)
    generate_demo(db, tmp_path / "demo", size=SIZE, now=NOW, write_files=False)
    slugs = [t.slug for t in db.tenants()]
    for slug in slugs:  # always inside the send window, so the test does not depend on the clock
        update_tenant(
            db,
            slug,
            settings_patch={"send_window": {"start_hour": 0, "end_hour": 24, "weekends": True}},
        )
    return db, slugs


def cycle(
    db: Database,
    slugs: list[str],
    mailer: Mailer,
    hour: datetime | None = None,
    instance: dg.DagsterInstance | None = None,
) -> dg.ExecuteInProcessResult:
    tags = {**partition_tags(slugs)}
    if hour is not None:
        tags[HOUR_TAG] = f"{hour:%Y-%m-%dT%H}"

    def go(inst: dg.DagsterInstance):
        inst.add_dynamic_partitions(TENANTS, slugs)
        return dg.materialize(
            CYCLE, instance=inst, tags=tags, resources=resources(db, mailer)
        )

    if instance is not None:
        return go(instance)
    with dg.DagsterInstance.ephemeral() as inst:
        return go(inst)


@pytest.fixture
def mailer(tmp_path: Path) -> Mailer:
    return Mailer(outbox_dir=str(tmp_path / "outbox"))


def test_four_phases_plan_act_react_reflect_for_every_tenant(demo, mailer):
    db, slugs = demo
    result = cycle(db, slugs, mailer)
    assert result.success
    for slug in slugs:
        (run,) = rows(db, schema.agent_runs, slug)
        assert (run["status"], run["phase"], run["cycle_number"]) == ("completed", "done", 1)
        assert run["actions_planned"] > 0
        assert run["actions_planned"] == (
            run["actions_executed"]
            + run["actions_deferred"]
            + run["actions_blocked"]
            + run["actions_awaiting_approval"]
        )
        gathered = run["plan"]["gathered"]
        assert gathered["orders_checked"] > 0 and 0 <= gathered["compliance_rate"] <= 1
        (reflection,) = rows(db, schema.reflections, slug)
        assert reflection["summary"].startswith("planned")
        assert reflection["hints"] and reflection["changes"]
        sent = [r for r in rows(db, schema.outbox, slug) if r["status"] == "dry_run"]
        assert len(sent) == run["actions_executed"] - sum(
            1 for r in rows(db, schema.outbox, slug) if r["kind"] in ("order_fix", "create_task")
        )
        kinds = {r["kind"] for r in rows(db, schema.outbox, slug)}
        assert kinds <= {"follow_up", "order_fix", "create_task"}
        # a dry run files .eml files: nothing left the system, so nothing reads as sent
        assert (run["metrics"]["sent"], run["metrics"]["filed"]) == (0, len(sent))
        assert run["metrics"]["applied"] == len(rows(db, schema.outbox, slug)) - len(sent)
        asked = [r for r in rows(db, schema.outbox, slug) if r["kind"] == "create_task"]
        human = [t for t in rows(db, schema.tasks, slug) if t["kind"] == "human"]
        # the client's requests, and the demo's compliance checks past their escalation
        assert len(human) == len(asked) and {t["requested_by"] for t in human} <= {
            "client_request", "compliance_due"}
        events = [e for e in rows(db, schema.warehouse_events, slug) if e["event_type"] == "cycle"]
        assert len(events) == 1
    evaluations = result.get_asset_check_evaluations()
    checks = {c.check_name: c for c in evaluations}
    assert set(checks) == {
        "engagement_compliance",
        "order_exception_rate",
        "stalled_deals",
        "quote_follow_ups_on_time",
        "feedback_coverage",
        "no_duplicate_outbox_keys",
        "cycle_failure_rate",
        "policy_block_spike",
        "tenants_failed",
    }
    failed_checks = [c for c in evaluations if c.check_name == "tenants_failed"]
    assert len(failed_checks) == 4 and all(c.passed for c in failed_checks)
    for mat in result.asset_materializations_for_node("cycle_phases"):
        # each partition's event carries its own tenant's figures, not the range's
        assert mat.partition in slugs and mat.metadata["status"].value == "done"
    assert checks["no_duplicate_outbox_keys"].passed
    assert not checks["order_exception_rate"].passed  # the demo plants a quarter of bad orders
    assert checks["stalled_deals"].metadata["stalled_deals"].value > 0  # the demo has quiet deals
    # After the first cycle every delivered order has a request or a reason for none.
    assert checks["feedback_coverage"].passed, checks["feedback_coverage"].metadata


def test_rerunning_the_hour_in_dry_run_reproduces_the_decisions(demo, mailer):
    db, slugs = demo
    with dg.DagsterInstance.ephemeral() as instance:
        cycle(db, slugs, mailer, instance=instance)
        first = {s: rows(db, schema.agent_runs, s)[0]["metrics"]["decisions"] for s in slugs}
        outbox = {s: len(rows(db, schema.outbox, s)) for s in slugs}
        cycle(db, slugs, mailer, instance=instance)
    for slug in slugs:
        (run,) = rows(db, schema.agent_runs, slug)
        again = run["metrics"]["decisions"]
        assert [(d["key"], d["status"]) for d in again] == [
            (d["key"], d["status"]) for d in first[slug]
        ]
        assert len(rows(db, schema.outbox, slug)) == outbox[slug]


def test_dry_run_moves_down_the_follow_up_list_hour_by_hour(demo, mailer):
    db, slugs = demo
    update_tenant(db, slugs[0], settings_patch={"caps": {"emails_per_hour": 2}})
    keys: list[set[str]] = []
    with dg.DagsterInstance.ephemeral() as instance:
        for n in range(3):
            cycle(db, slugs[:1], mailer, hour=HOUR + timedelta(hours=n), instance=instance)
            latest = rows(db, schema.agent_runs, slugs[0])[-1]
            follow = {d["key"] for d in latest["metrics"]["decisions"] if d["kind"] == "follow_up"}
            assert follow and not any(
                d["repeated"] for d in latest["metrics"]["decisions"] if d["kind"] == "follow_up"
            )
            keys.append(follow)
    assert not (keys[0] & keys[1]) and not (keys[1] & keys[2])


def test_rerunning_the_hour_live_sends_nothing_twice(demo, tmp_path):
    db, slugs = demo
    for slug in slugs:
        update_tenant(
            db,
            slug,
            settings_patch={"send_mode": "limited_live", "from_address": f"office@{slug}.example"},
        )
    with SmtpSink() as sink:
        mailer = Mailer(smtp_url=sink.url(), outbox_dir=str(tmp_path / "ob"))
        with dg.DagsterInstance.ephemeral() as instance:
            cycle(db, slugs, mailer, instance=instance)
            received = len(sink.received)
            assert received > 0
            cycle(db, slugs, mailer, instance=instance)
        assert len(sink.received) == received
        assert max(sink.keys().values()) == 1


def test_a_replay_of_a_past_hour_decides_but_records_and_sends_nothing(demo, mailer):
    db, slugs = demo
    past = HOUR - timedelta(days=2)
    orders_before = {s: rows(db, schema.orders, s) for s in slugs}
    assert cycle(db, slugs, mailer, hour=past).success
    for slug in slugs:
        (run,) = rows(db, schema.agent_runs, slug)
        assert run["metrics"]["replay"] and run["metrics"]["decisions"]
        assert rows(db, schema.outbox, slug) == [] and rows(db, schema.actions, slug) == []
        assert rows(db, schema.orders, slug) == orders_before[slug]
        assert rows(db, schema.order_exceptions, slug) == []


def test_switches_skip_tenants_visibly_and_nothing_leaves(demo, mailer):
    db, slugs = demo
    set_enabled(db, slugs[0], False)
    set_database_flag(db, False, None, "test")
    result = cycle(db, slugs, mailer)
    assert result.success
    (skipped,) = rows(db, schema.agent_runs, slugs[0])
    assert skipped["status"] == "skipped" and "agent disabled" in skipped["errors"][0]["error"]
    assert rows(db, schema.outbox, slugs[0]) == []
    outbox = len(rows(db, schema.outbox, slugs[1]))
    completed = rows(db, schema.agent_runs, slugs[1])[0]
    set_database_flag(db, True, "storm", "test")
    later = HOUR + timedelta(hours=1)
    with dg.DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions(TENANTS, slugs)
        dg.materialize(
            CYCLE,
            instance=instance,
            resources=resources(db, mailer),
            tags={**partition_tags(slugs), HOUR_TAG: f"{later:%Y-%m-%dT%H}"},
        )
    for slug in slugs:
        latest = rows(db, schema.agent_runs, slug)[-1]
        assert latest["status"] == "skipped" and "storm" in latest["errors"][0]["error"]
    assert len(rows(db, schema.outbox, slugs[1])) == outbox
    assert rows(db, schema.agent_runs, slugs[1])[0] == completed


def test_one_tenants_broken_settings_do_not_stop_the_others(demo, mailer):
    db, slugs = demo
    slugs = sorted(slugs)
    with db.system() as sys:
        sys.execute(
            schema.tenants.update()
            .where(schema.tenants.c.slug == slugs[0])
            .values(settings={"send_mode": "shout"})
        )
    result = cycle(db, slugs, mailer)
    assert result.success
    assert rows(db, schema.agent_runs, slugs[1])[0]["status"] == "completed"
    (failed,) = [
        c
        for c in result.get_asset_check_evaluations()
        if c.check_name == "tenants_failed" and c.asset_key.path == ["cycle_plan"]
    ]
    assert not failed.passed and failed.severity == dg.AssetCheckSeverity.ERROR
    assert failed.metadata["failed"].value == 1
    assert f"{slugs[0]}: invalid settings" in failed.metadata["failures"].value
    assert "send_mode" in failed.metadata["failures"].value
    plans = {
        m.partition: m.metadata["status"].value
        for m in result.asset_materializations_for_node("cycle_phases")
        if m.asset_key.path == ["cycle_plan"]
    }
    assert plans == {slugs[0]: "failed", slugs[1]: "done"}


def test_a_held_lock_skips_the_tenant_and_a_stuck_one_expires_with_an_alert(demo, mailer):
    db, slugs = demo
    now = NOW
    assert lock.acquire(db, slugs[0], "other-run", HOUR, now) == (None, None)
    cycle(db, slugs, mailer)
    assert rows(db, schema.agent_runs, slugs[0]) == []
    assert rows(db, schema.agent_runs, slugs[1])[0]["status"] == "completed"
    later = now + CYCLE_LOCK_TTL + timedelta(minutes=1)
    alerts = resources(db, mailer)["alerts"]
    step = plan_phase(Cycle(db, slugs[0], HOUR, "new-run", later, False, alerts))
    assert step.status == "done"
    assert "cycle_lock_expired" in {a["rule"] for a in rows(db, schema.alerts, slugs[0])}


def test_concurrent_cycles_for_one_tenant_one_acts(demo, mailer):
    db, slugs = demo
    outcomes: list = []

    def go():
        with dg.DagsterInstance.ephemeral() as instance:
            outcomes.append(cycle(db, slugs[:1], mailer, instance=instance))

    threads = [threading.Thread(target=go) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r.success for r in outcomes)
    (run,) = rows(db, schema.agent_runs, slugs[0])
    keys = [r["idempotency_key"] for r in rows(db, schema.outbox, slugs[0])]
    assert len(keys) == len(set(keys)) == run["actions_executed"]


def test_a_client_asking_for_a_person_gets_one_task(demo, mailer):
    db, slugs = demo
    with db.for_tenant(slugs[0]) as scope:
        contact = scope.execute(
            scope.select(schema.contacts.c.id).where(schema.contacts.c.email.is_not(None))
        ).first()
        scope.insert(
            schema.signals,
            {
                "contact_id": contact.id,
                "kind": "human_request",
                "strength": 0.9,
                "evidence": "can you call me Thursday?",
            },
        )
    with dg.DagsterInstance.ephemeral() as instance:
        cycle(db, slugs[:1], mailer, instance=instance)
        cycle(db, slugs[:1], mailer, hour=HOUR + timedelta(hours=1), instance=instance)
    (task,) = [t for t in rows(db, schema.tasks, slugs[0])
               if t["kind"] == "human" and t["requested_by"] == "client_request"]
    assert task["title"] == "Client asked: can you call me Thursday?"
    assert task["status"] == "pending" and task["requested_by"] == "client_request"
    (signal,) = rows(db, schema.signals, slugs[0])
    assert signal["actioned_at"] is not None
    later = rows(db, schema.agent_runs, slugs[0])[-1]["metrics"]["decisions"]
    assert not [d for d in later if d["kind"] == "create_task"]


def test_act_alone_with_nothing_planned_records_no_materialization(demo, mailer):
    db, slugs = demo
    with dg.DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions(TENANTS, slugs)
        result = dg.materialize(
            [cycle_phases],
            selection=["cycle_act"],
            instance=instance,
            tags=partition_tags(slugs),
            resources=resources(db, mailer),
        )
    assert result.success
    assert result.asset_materializations_for_node("cycle_phases") == []
    checks = {(c.asset_key.path[0], c.check_name): c for c in result.get_asset_check_evaluations()}
    assert set(checks) == {
        ("cycle_act", "tenants_failed"),
        ("cycle_act", "no_duplicate_outbox_keys"),
    }
    assert checks["cycle_act", "tenants_failed"].metadata["skipped"].value == len(slugs)
    assert rows(db, schema.outbox, slugs[0]) == []
