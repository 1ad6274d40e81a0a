"""Warehouse benchmark: the daily facts for 1,000 tenants x 365 days (about 10 million events).

The events are generated in PostgreSQL from a fixed seed, in time order as they would be
written (27 a tenant and day: orders placed
and moved, deals and stage changes, quote outcomes, touches with the replies they answer, mail
in and out, bounces, suppressions, decisions, feedback, compliance checks, 24 hourly cycle
events). Steward's path is the `warehouse_facts` asset's: `build_days` over the 365 days as the
runtime role under row-level security, a transaction per day, one INSERT ... SELECT per fact
and day with its build record. The baseline is one hand-written SQL aggregation of the same
facts over the whole year as the superuser (no policy, no per-day statements, results into
temporary tables). Prints both times and the ratio (target <= 3x), then the time of the daily
insights (every tenant's ten metrics for the last day against 8 weeks; target <= 2 minutes).

Run from the repository root as `python -m bench.warehouse`.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from bench.datagen import APP_ROLE, drop_database, scratch_database
from resources.database import Database, normalize_url
from resources.database.roles import ensure_app_role
from services.insights.anomalies import judge_day
from services.warehouse.build import build_days

FIRST = date(2025, 1, 1)
BUILT = datetime(2026, 1, 2, tzinfo=UTC)

# One row per (tenant, day, n), n = 1..27: the event type by n, values from random().
GENERATE = """
INSERT INTO warehouse_events (tenant_id, event_key, event_type, entity_type, entity_id,
                              occurred_at, payload, schema_version)
SELECT t, 'bench:' || t || ':' || d || ':' || n, kind, 'bench', (t * 100000 + d * 100 + n)::text,
       at, payload, 1
FROM generate_series(0, :days - 1) d, generate_series(1, :tenants) t, generate_series(1, 27) n,
LATERAL (SELECT TIMESTAMPTZ '2025-01-01 00:00+00' + d * INTERVAL '1 day'
                + (n * 50 + (random() * 40)::int) * INTERVAL '1 minute' AS at) time,
LATERAL (SELECT CASE
    WHEN n <= 3 THEN 'order_placed' WHEN n <= 5 THEN 'order_status_changed'
    WHEN n = 6 THEN 'deal_stage_changed' WHEN n = 7 THEN 'quote_activity'
    WHEN n <= 13 THEN 'touch' WHEN n <= 18 THEN 'message_stored'
    WHEN n <= 20 THEN 'outbox_settled' WHEN n = 21 THEN 'delivery_feedback'
    WHEN n = 22 THEN 'action_decided' WHEN n = 23 THEN 'feedback_status'
    WHEN n = 24 THEN 'compliance_check' WHEN n = 25 THEN 'suppression_added'
    ELSE 'cycle' END AS kind) k,
LATERAL (SELECT CASE kind
    WHEN 'order_placed' THEN
        jsonb_build_object('total_amount', round((random() * 900)::numeric, 2))
    WHEN 'order_status_changed' THEN jsonb_build_object('from_status', 'in_progress',
        'to_status', CASE WHEN random() < 0.8 THEN 'delivered' ELSE 'cancelled' END,
        'total_amount', round((random() * 900)::numeric, 2))
    WHEN 'deal_stage_changed' THEN jsonb_build_object('from_stage', 'lead', 'to_stage',
        (ARRAY['qualified', 'proposal', 'won'])[1 + (random() * 2)::int],
        'amount', 5000, 'seconds_in_stage', (random() * 864000)::int)
    WHEN 'quote_activity' THEN jsonb_build_object('activity',
        (ARRAY['sent', 'accepted', 'rejected', 'expired'])[1 + (random() * 3)::int],
        'amount', 800,
        'reason_code', (ARRAY['price', 'timing', 'competitor'])[1 + (random() * 2)::int],
        'sent_at', at - INTERVAL '4 days')
    WHEN 'touch' THEN jsonb_build_object('touch_type', CASE WHEN n % 2 = 0 THEN 'email_in'
        ELSE 'email_out' END, 'answers_since', CASE WHEN n % 2 = 1 THEN at - INTERVAL '3 hours' END)
    WHEN 'message_stored' THEN jsonb_build_object('direction', 'in', 'contact_id',
        CASE WHEN n < 17 THEN t END, 'classification', 'reply')
    WHEN 'outbox_settled' THEN jsonb_build_object('status', 'sent', 'kind', 'follow_up')
    WHEN 'delivery_feedback' THEN jsonb_build_object('kind', 'bounce', 'outcome',
        (ARRAY['suppress', 'soft', 'delay'])[1 + (random() * 2)::int], 'reason', 'user_unknown')
    WHEN 'action_decided' THEN jsonb_build_object('kind', 'follow_up', 'status',
        (ARRAY['allowed', 'deferred', 'blocked'])[1 + (random() * 2)::int], 'rule', 'ok')
    WHEN 'feedback_status' THEN jsonb_build_object('status', 'answered', 'sentiment',
        (ARRAY['positive', 'neutral', 'negative'])[1 + (random() * 2)::int],
        'score', random())
    WHEN 'compliance_check' THEN jsonb_build_object('status', 'complete', 'from_status', 'open')
    WHEN 'suppression_added' THEN jsonb_build_object('reason', 'bounce:user_unknown')
    ELSE jsonb_build_object('contacts', 120, 'compliance_rate', random(), 'overdue', 10) END
    AS payload) p
ORDER BY d, at, t
"""

DAY = "(occurred_at AT TIME ZONE 'UTC')::date"
P = "payload->>"
HAND = {
    "orders": f"""SELECT tenant_id, {DAY} AS day,
        count(*) FILTER (WHERE event_type = 'order_placed'),
        sum(({P}'total_amount')::numeric) FILTER (WHERE event_type = 'order_placed'),
        count(*) FILTER (WHERE event_type = 'order_status_changed'
            AND {P}'to_status' = 'delivered'),
        sum(({P}'total_amount')::numeric) FILTER (WHERE event_type = 'order_status_changed'
            AND {P}'to_status' = 'delivered'),
        count(*) FILTER (WHERE event_type = 'order_status_changed'
            AND {P}'to_status' = 'cancelled'),
        sum(({P}'total_amount')::numeric) FILTER (WHERE event_type = 'order_status_changed'
            AND {P}'to_status' = 'cancelled')
        FROM warehouse_events WHERE event_type IN ('order_placed', 'order_status_changed')
        GROUP BY 1, 2""",
    "pipeline": f"""SELECT tenant_id, day, stage, sum(i), sum(o), sum(vi), sum(vo), avg(s) / 86400
        FROM (SELECT tenant_id, {DAY} AS day, {P}'to_stage' AS stage, 1 AS i, 0 AS o,
                     ({P}'amount')::float AS vi, 0.0 AS vo, NULL::float AS s
              FROM warehouse_events WHERE event_type IN ('deal_created', 'deal_stage_changed')
              UNION ALL
              SELECT tenant_id, {DAY}, {P}'from_stage', 0, 1, 0.0, ({P}'amount')::float,
                     ({P}'seconds_in_stage')::float
              FROM warehouse_events WHERE event_type = 'deal_stage_changed') x
        GROUP BY 1, 2, 3""",
    "quotes": f"""SELECT tenant_id, {DAY}, {P}'activity', coalesce({P}'reason_code', ''), count(*),
        sum(({P}'amount')::float), avg(extract(epoch FROM occurred_at - ({P}'sent_at')::timestamptz)
        / 86400) FROM warehouse_events WHERE event_type = 'quote_activity' GROUP BY 1, 2, 3, 4""",
    "engagement": f"""SELECT tenant_id, {DAY}, count(*) FILTER (WHERE {P}'touch_type' = 'email_in'),
        count(*) FILTER (WHERE {P}'touch_type' <> 'email_in'), count(DISTINCT entity_id)
        FROM warehouse_events WHERE event_type = 'touch' GROUP BY 1, 2""",
    "cycles": f"""SELECT DISTINCT ON (tenant_id, {DAY}) tenant_id, {DAY}, {P}'contacts',
        {P}'compliance_rate', {P}'overdue' FROM warehouse_events WHERE event_type = 'cycle'
        ORDER BY tenant_id, {DAY}, occurred_at DESC""",
    "response_times": f"""SELECT tenant_id, {DAY}, count(*), sum(m),
        count(*) FILTER (WHERE m <= 60),
        count(*) FILTER (WHERE m <= 240), count(*) FILTER (WHERE m <= 1440), max(m)
        FROM (SELECT tenant_id, occurred_at, extract(epoch FROM occurred_at
              - ({P}'answers_since')::timestamptz) / 60 AS m FROM warehouse_events
              WHERE event_type = 'touch' AND {P}'answers_since' IS NOT NULL) x GROUP BY 1, 2""",
    "actions": f"""SELECT tenant_id, {DAY}, {P}'kind', {P}'status', {P}'rule', count(*)
        FROM warehouse_events WHERE event_type = 'action_decided' GROUP BY 1, 2, 3, 4, 5""",
    "mail": f"""SELECT tenant_id, {DAY},
        count(*) FILTER (WHERE event_type = 'message_stored' AND {P}'direction' = 'in'),
        count(*) FILTER (WHERE event_type = 'message_stored' AND {P}'contact_id' IS NOT NULL),
        count(*) FILTER (WHERE event_type = 'message_stored' AND {P}'contact_id' IS NULL),
        count(*) FILTER (WHERE event_type = 'outbox_settled' AND {P}'status' = 'sent'),
        count(*) FILTER (WHERE event_type = 'outbox_settled' AND {P}'status' = 'failed'),
        count(*) FILTER (WHERE event_type = 'delivery_feedback' AND {P}'outcome' = 'suppress'),
        count(*) FILTER (WHERE event_type = 'delivery_feedback' AND {P}'outcome' = 'soft'),
        count(*) FILTER (WHERE event_type = 'delivery_feedback' AND {P}'kind' = 'complaint'),
        count(*) FILTER (WHERE event_type = 'suppression_added')
        FROM warehouse_events WHERE event_type IN ('message_stored', 'outbox_settled',
            'delivery_feedback', 'suppression_added') GROUP BY 1, 2""",
    "feedback": f"""SELECT tenant_id, {DAY}, count(*) FILTER (WHERE {P}'status' = 'requested'),
        count(*) FILTER (WHERE {P}'status' = 'answered'),
        count(*) FILTER (WHERE {P}'sentiment' = 'positive'),
        count(*) FILTER (WHERE {P}'sentiment' = 'negative'), sum(({P}'score')::float)
        FROM warehouse_events WHERE event_type = 'feedback_status' GROUP BY 1, 2""",
    "compliance": f"""SELECT tenant_id, {DAY}, count(*) FILTER (WHERE {P}'from_status' IS NULL),
        count(*) FILTER (WHERE {P}'status' = 'complete'),
        count(*) FILTER (WHERE {P}'status' = 'waived')
        FROM warehouse_events WHERE event_type = 'compliance_check' GROUP BY 1, 2""",
}


def seed(admin_url: str, tenants: int, days: int) -> int:
    engine = sa.create_engine(admin_url)
    with engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO tenants (slug, name, timezone, agent_enabled, settings) "
            "SELECT 'bench-' || g, 'Bench ' || g, 'UTC', true, '{}' "
            "FROM generate_series(1, :n) g"), {"n": tenants})
        conn.execute(sa.text("SELECT setseed(0.17)"))
        conn.execute(sa.text(GENERATE), {"tenants": tenants, "days": days})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE warehouse_events"))
        count = conn.execute(sa.text("SELECT count(*) FROM warehouse_events")).scalar()
    engine.dispose()
    return int(count)


def hand_sql(admin_url: str) -> float:
    engine = sa.create_engine(admin_url)
    started = time.perf_counter()
    with engine.begin() as conn:
        for name, query in HAND.items():
            width = len(conn.execute(sa.text(f"SELECT * FROM ({query}) q LIMIT 0")).keys())
            names = ", ".join(f"c{i}" for i in range(width))
            conn.execute(sa.text(f"CREATE TEMP TABLE hand_{name} AS "
                                 f"SELECT * FROM ({query}) AS q({names})"))
    seconds = time.perf_counter() - started
    engine.dispose()
    return seconds


def steward(app_url: str, days: int) -> tuple[float, int]:
    db = Database(url=app_url)
    started = time.perf_counter()
    built = build_days(db, [FIRST + timedelta(days=n) for n in range(days)], BUILT)
    return time.perf_counter() - started, sum(built.rows.values())


def insights(app_url: str, days: int) -> tuple[float, dict]:
    db = Database(url=app_url)
    started = time.perf_counter()
    judged = judge_day(db, FIRST + timedelta(days=days - 1), BUILT)
    return time.perf_counter() - started, dict(judged.counts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--pg-url", default=os.environ.get(
        "STEWARD_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    args = parser.parse_args()
    root = normalize_url(args.pg_url)
    name, admin_url, app_url = scratch_database(root)
    try:
        Database(url=admin_url).upgrade()
        ensure_app_role(sa.create_engine(admin_url), APP_ROLE)
        started = time.perf_counter()
        events = seed(admin_url, args.tenants, args.days)
        print(f"{events:,} events for {args.tenants} tenants x {args.days} days, "
              f"generated in {time.perf_counter() - started:.0f} s")
        baseline = hand_sql(admin_url)
        seconds, rows = steward(app_url, args.days)
        again = hand_sql(admin_url)
        baseline = min(baseline, again)
        print(f"machine: {platform.node()}, {os.cpu_count()} cores")
        print(f"hand-written SQL, whole year, superuser: {baseline:.1f} s")
        print(f"steward build_days, {args.days} days, runtime role under RLS: {seconds:.1f} s "
              f"({rows:,} fact rows, {seconds / args.days * 1000:.0f} ms a day)")
        print(f"ratio {seconds / baseline:.2f}x (target <= 3x)")
        judged, counts = insights(app_url, args.days)
        print(f"daily insights for {args.tenants} tenants (one day, 10 metrics each): "
              f"{judged:.1f} s (target <= 120 s); findings {counts}")
    finally:
        drop_database(root, name)


if __name__ == "__main__":
    main()
