"""Insights: anomalies planted in generated histories are found with their evidence and a clean
history yields none; client patterns and the recommendation the next cycle proposes; the
owner's weekly report; `steward insights show`."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from agent.insights import METRICS, account_pattern, judge, recommendations
from resources.database import Database
from resources.mailer.render import render_email
from resources.store import schema
from resources.store.ledger import claim_new
from services.insights.anomalies import judge_day, raise_alerts
from services.insights.patterns import judge_week
from services.insights.proposals import recommended_actions
from services.insights.report import weekly_report
from services.warehouse.build import build_days
from tests.helpers import rows, seed_tenant

ORDERS = next(m for m in METRICS if m.name == "orders_placed")
TUESDAY = date(2026, 3, 10)
NOW = datetime(2026, 3, 11, 1, tzinfo=UTC)


def _weeks(values: list[float], day: date = TUESDAY) -> dict[date, float]:
    """`values` for the same weekday going back one week each, oldest last; the other days 0."""
    series = {day - timedelta(days=n): 0.0 for n in range(1, 7 * len(values))}
    series.update({day - timedelta(weeks=n + 1): v for n, v in enumerate(values)})
    return series


def test_a_planted_spike_is_an_anomaly_with_its_baseline_and_band() -> None:
    series = {**_weeks([10, 11, 9, 10, 12, 10, 11, 10]), TUESDAY: 30.0}
    found = judge(ORDERS, TUESDAY, series)
    assert found.status == "anomaly" and found.direction == "up"
    assert found.baseline == 10.0 and found.low < 10 < found.high < 30
    assert len(found.evidence) == 8 and found.evidence[0] == ["2026-03-03", 10.0]
    assert "above the expected" in found.reason and "Tuesdays" in found.reason


def test_a_clean_history_and_its_edge_cases_say_why_they_say_nothing() -> None:
    assert judge(ORDERS, TUESDAY, {**_weeks([10, 11, 9, 10, 12]), TUESDAY: 11.0}).status == \
        "normal"
    # one wild week in the baseline does not move a median
    assert judge(ORDERS, TUESDAY, {**_weeks([10, 500, 9, 10, 11]), TUESDAY: 12.0}).status == \
        "normal"
    few = judge(ORDERS, TUESDAY, {**_weeks([10, 11, 9]), TUESDAY: 40.0})
    assert few.status == "not_enough_data" and "3 earlier Tuesday(s) built, 4 needed" in few.reason
    zero = judge(ORDERS, TUESDAY, {**_weeks([0, 0, 0, 0, 0]), TUESDAY: 0.0})
    assert zero.status == "no_variation" and "always 0" in zero.reason
    assert judge(ORDERS, TUESDAY, _weeks([1, 1, 1, 1])).status == "not_built"
    # a sparse count: 0 -> 2 is outside a zero-width band, but the MAD floor keeps it normal
    assert judge(ORDERS, TUESDAY, {**_weeks([0, 0, 1, 0, 0]), TUESDAY: 2.0}).status == "normal"
    # a drop is an anomaly too
    assert judge(ORDERS, TUESDAY, {**_weeks([20, 21, 19, 20, 22]), TUESDAY: 2.0}).direction == \
        "down"


def test_an_account_past_its_rhythm_gets_a_check_in_with_the_evidence() -> None:
    as_of = date(2026, 3, 29)
    regular = [date(2026, 1, 1) + timedelta(days=9 * n) for n in range(7)]  # last: Feb 24
    quiet = account_pattern(1, "Lakeside Bank", regular, as_of, [], [])
    assert quiet.status == "pattern" and quiet.median_interval_days == 9.0
    assert quiet.days_since == 33 and quiet.churn_risk == "high"
    assert quiet.seasonality.startswith("not enough data")
    new = account_pattern(2, "New Client", regular[:2], as_of, [], [])
    assert new.status == "not_enough_data" and "2 order day(s), 4 needed" in new.reason
    steady = account_pattern(3, "Steady", regular + [date(2026, 3, 26)], as_of,
                             [datetime(2026, 3, d, 9, 30) for d in range(1, 10)],
                             [("accepted", None), ("rejected", "price"), ("rejected", "price")])
    assert steady.churn_risk == "low" and steady.reply_hours == [9]
    assert steady.win_loss == {"rejected:price": 2, "accepted:unstated": 1}

    contacts = {1: {"id": 7, "email": "pat@lakeside.example", "first_name": "Pat",
                    "name": "Pat Lee"}}
    (rec,) = recommendations([quiet, new, steady], contacts)
    assert rec.key == "reorder:1:2026-02-24" and rec.support == 7
    assert rec.evidence["intervals"] == [9] * 6 and rec.action["target"] == contacts[1]["email"]
    assert "usually orders every 9 days and has been silent for 33" in rec.title
    assert recommendations([quiet], {}) == []  # nobody to write to: nothing invented


def _order_history(db: Database, slug: str, days: int, per_day: int, spike: date | None) -> None:
    start = TUESDAY - timedelta(days=days - 1)
    with db.for_tenant(slug) as scope:
        account = scope.scalar(sa.select(sa.func.min(schema.accounts.c.id)))
        rows_ = []
        for n in range(days):
            day = start + timedelta(days=n)
            count = 3 * per_day + 30 if day == spike else per_day + n % 2
            at = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=10)
            rows_ += [{"order_number": f"{slug}-{day}-{k}", "ordered_at": at + timedelta(minutes=k),
                       "total_amount": 100, "account_id": account} for k in range(count)]
        scope.insert(schema.orders, rows_)


def test_a_planted_spike_is_found_in_the_warehouse_and_raises_an_alert(db: Database) -> None:
    from resources.alerts import Alerts
    from resources.mailer import Mailer

    for slug, spike in (("acme", TUESDAY), ("globex", None)):
        seed_tenant(db, slug)
        _order_history(db, slug, 63, 4, spike)
    seed_tenant(db, "newco")  # no history at all
    build_days(db, [TUESDAY - timedelta(days=n) for n in range(63)], NOW)
    judged = judge_day(db, TUESDAY, NOW)
    assert [(slug, a.metric) for slug, a in judged.anomalies] == [
        ("acme", "orders_placed"), ("acme", "order_value")]
    assert judged.counts["anomaly"] == 2
    raise_alerts(db, Alerts(mailer=Mailer()), judged, NOW)
    alerts = {a["dedupe_key"]: a for a in rows(db, schema.alerts, "acme")}
    assert set(alerts) == {"insight_anomaly:orders_placed", "insight_anomaly:order_value"}
    assert "orders placed: 42 is above" in alerts["insight_anomaly:orders_placed"]["detail"]
    assert rows(db, schema.alerts, "globex") == []

    with db.for_tenant("newco") as scope:
        reasons = {r["metric"]: (r["status"], r["reason"])
                   for r in scope.execute(scope.select(schema.anomalies)).mappings()}
    assert reasons["orders_placed"][0] == "no_variation"
    with db.for_tenant("acme") as scope:
        found = scope.execute(scope.select(schema.anomalies).where(
            schema.anomalies.c.metric == "orders_placed")).mappings().one()
    assert found["actual"] == 42 and 4 <= found["baseline"] <= 5 and len(found["evidence"]) == 8


def test_the_weekly_patterns_feed_the_next_plan_and_the_owners_report(db: Database,
                                                                       steward_env) -> None:
    seed_tenant(db, "acme")
    week = date(2026, 3, 23)  # a Monday
    with db.for_tenant("acme") as scope:
        account = scope.scalar(sa.select(sa.func.min(schema.accounts.c.id)))
        scope.execute(sa.update(schema.contacts).values(account_id=account))
        scope.insert(schema.orders, [
            {"order_number": f"L-{n}", "account_id": account, "total_amount": 300,
             "ordered_at": datetime(2026, 1, 1, 10, tzinfo=UTC) + timedelta(days=9 * n)}
            for n in range(7)])
    result = judge_week(db, "acme", week, NOW)
    (pattern,) = result.patterns
    assert pattern.churn_risk == "high" and result.added == 1
    assert judge_week(db, "acme", week, NOW).added == 0  # found again: kept, not doubled

    with db.for_tenant("acme") as scope:
        (action,) = recommended_actions(scope, frozenset(), NOW)
        assert action.kind == "follow_up" and action.payload["template"] == "reorder_check_in"
        assert action.idempotency_key.startswith("follow_up:c0@acme.example:insight:reorder:")
        email = render_email(scope.tenant, action)
        assert "acme account" in email["text"]
        claim_new(scope, [action], NOW, None)  # the gate decided it
        assert recommended_actions(scope, frozenset([action.idempotency_key]), NOW) == []
        (strategy,) = scope.execute(scope.select(schema.success_strategies)).mappings()
    assert strategy["status"] == "proposed" and strategy["action_key"] == action.idempotency_key

    report = weekly_report(db, "acme", week, steward_env / "reports", NOW)
    text = report.path.read_text()
    assert report.path.name == "week-2026-03-23.html" and text.count("data:image/png") == 4
    assert "acme account" in text and set(report.charts) == {
        "orders", "pipeline", "compliance", "anomalies"}
    assert all(png.startswith(b"\x89PNG") for png in report.charts.values())


def test_the_cli_builds_a_week_and_shows_a_tenants_insights(cli_env) -> None:
    from pathlib import Path

    from tests.cli import steward

    steward(cli_env, "db", "upgrade")
    db = Database(url=cli_env.get("STEWARD_DATABASE_URL", ""))
    seed_tenant(db, "acme")
    _order_history(db, "acme", 63, 4, TUESDAY)
    build_days(db, [TUESDAY - timedelta(days=n) for n in range(63)], NOW)
    judge_day(db, TUESDAY, NOW)
    assert "is not a day" in steward(cli_env, "insights", "build", "--week", "soon",
                                     ok=False).stderr
    built = steward(cli_env, "insights", "build", "--week", "2026-03-04").stdout
    assert "built the week of 2026-03-02" in built
    shown = steward(cli_env, "insights", "show", "--tenant", "acme").stdout
    assert "2026-03-10: 2 anomaly" in shown and "orders_placed: anomaly" in shown
    assert "1 account(s) without a cadence yet" not in shown  # 63 order days: a cadence
    report = Path(cli_env["STEWARD_HOME"]) / "reports" / "acme" / "week-2026-03-02.html"
    assert f"weekly report: {report}" in shown.replace("\n", "") and report.exists()
    assert "unknown tenant" in steward(cli_env, "insights", "show", "--tenant", "nobody",
                                       ok=False).stderr


def test_the_next_cycle_puts_the_recommended_check_in_through_the_gate(db: Database,
                                                                       tmp_path) -> None:
    import dagster as dg

    from assets.cycle import cycle_phases
    from assets.hour import HOUR_TAG
    from assets.partitions import TENANTS, partition_tags
    from resources.mailer import Mailer
    from resources.store.tenants import update_tenant
    from tests.helpers import clock_at, resources

    seed_tenant(db, "acme", touched_days_ago=2, now=datetime(2026, 3, 30, tzinfo=UTC))
    update_tenant(db, "acme", settings_patch={
        "send_window": {"start_hour": 0, "end_hour": 24, "weekends": True}})
    with db.for_tenant("acme") as scope:
        account = scope.scalar(sa.select(sa.func.min(schema.accounts.c.id)))
        scope.execute(sa.update(schema.contacts).values(account_id=account))
        scope.insert(schema.orders, [
            {"order_number": f"L-{n}", "account_id": account, "total_amount": 300,
             "status": "delivered",
             "ordered_at": datetime(2026, 1, 1, 10, tzinfo=UTC) + timedelta(days=9 * n)}
            for n in range(7)])
    judge_week(db, "acme", date(2026, 3, 23), NOW)
    mailer = Mailer(outbox_dir=str(tmp_path / "outbox"))
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(TENANTS, ["acme"])
    for hour in ("2026-03-30T14", "2026-03-30T15"):
        with clock_at(datetime.fromisoformat(hour + ":05+00:00")):
            result = dg.materialize([cycle_phases], instance=instance,
                                    tags={**partition_tags(["acme"]), HOUR_TAG: hour},
                                    resources=resources(db, mailer))
        assert result.success
    proposed = [a for a in rows(db, schema.actions) if "insight:reorder:" in a["idempotency_key"]]
    assert len(proposed) == 1 and proposed[0]["kind"] == "follow_up"  # once, not every hour
    (queued,) = [o for o in rows(db, schema.outbox) if "insight:" in o["idempotency_key"]]
    assert queued["payload"]["template"] == "reorder_check_in"
    with db.for_tenant("acme") as scope:
        (status,) = scope.execute(scope.select(schema.success_strategies.c.status)).scalars()
    assert status == "proposed"
