"""The daily fact tables (schema.FACTS): each a GROUP BY over one UTC day of `warehouse_events`
for every tenant at once, written by replacing that day's rows, so a rebuild or a backfill
gives the same rows as the first build. `warehouse_builds` keeps, per fact and day, when it
was built and the newest event id it had seen: an event recorded after that for an earlier
day (a late order import) is found by the next build, which rebuilds its day.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from resources.database import WarehouseScope
from resources.store.schema import (
    FACTS,
    actions_daily,
    compliance_daily,
    engagement_daily,
    feedback_daily,
    mail_daily,
    orders_daily,
    pipeline_daily,
    quotes_daily,
    response_times_daily,
    tenants,
    warehouse_builds,
    warehouse_events,
)

e = warehouse_events


def _text(key: str) -> sa.ColumnElement:
    return e.c.payload[key].as_string()


def _number(key: str) -> sa.ColumnElement:
    return sa.func.coalesce(e.c.payload[key].as_float(), 0.0)


def _count(*conditions: Any) -> sa.ColumnElement:
    return sa.func.sum(sa.case((sa.and_(*conditions), 1), else_=0))


def _total(value: sa.ColumnElement, *conditions: Any) -> sa.ColumnElement:
    return sa.func.sum(sa.case((sa.and_(*conditions), value), else_=0.0))


def _minutes_since(key: str, dialect: str) -> sa.ColumnElement:
    """Minutes from the timestamp in the payload's `key` to the event."""
    if dialect == "postgresql":
        since = sa.cast(_text(key), sa.DateTime(timezone=True))
        return sa.extract("epoch", e.c.occurred_at - since) / 60.0
    return (sa.func.julianday(e.c.occurred_at) - sa.func.julianday(_text(key))) * 1440.0


Query = Callable[[sa.ColumnElement, sa.ColumnElement, str], sa.Select]


def _orders(day: sa.ColumnElement, within: sa.ColumnElement, dialect: str) -> sa.Select:
    placed = e.c.event_type == "order_placed"
    moved = e.c.event_type == "order_status_changed"
    amount = _number("total_amount")
    return sa.select(
        e.c.tenant_id, day,
        _count(placed), _total(amount, placed),
        _count(moved, _text("to_status") == "delivered"),
        _total(amount, moved, _text("to_status") == "delivered"),
        _count(moved, _text("to_status") == "cancelled"),
        _total(amount, moved, _text("to_status") == "cancelled"),
    ).where(within, e.c.event_type.in_(["order_placed", "order_status_changed"])
            ).group_by(e.c.tenant_id)


def _pipeline(day: sa.ColumnElement, within: sa.ColumnElement, dialect: str) -> sa.Select:
    created = e.c.event_type == "deal_created"
    moved = e.c.event_type == "deal_stage_changed"
    amount = _number("amount")
    entering = sa.select(
        e.c.tenant_id, sa.case((created, _text("stage")), else_=_text("to_stage")).label("stage"),
        sa.literal(1).label("entered"), sa.literal(0).label("left"),
        amount.label("value_in"), sa.literal(0.0).label("value_out"),
        sa.null().label("seconds"),
    ).where(within, sa.or_(created, moved))
    leaving = sa.select(
        e.c.tenant_id, _text("from_stage"), sa.literal(0), sa.literal(1), sa.literal(0.0), amount,
        e.c.payload["seconds_in_stage"].as_float(),
    ).where(within, moved, _text("from_stage").is_not(None))
    rows = sa.union_all(entering, leaving).subquery()
    return (
        sa.select(
            rows.c.tenant_id, day, rows.c.stage, sa.func.sum(rows.c.entered),
            sa.func.sum(rows.c.left), sa.func.sum(rows.c.value_in), sa.func.sum(rows.c.value_out),
            sa.func.avg(rows.c.seconds) / 86400.0,
        )
        .where(rows.c.stage.is_not(None))
        .group_by(rows.c.tenant_id, rows.c.stage)
    )


def _quotes(day: sa.ColumnElement, within: sa.ColumnElement, dialect: str) -> sa.Select:
    activity = _text("activity")
    reason = sa.case((activity == "sent", ""), else_=sa.func.coalesce(_text("reason_code"), ""))
    cycle = sa.case(
        (sa.and_(activity != "sent", _text("sent_at").is_not(None)),
         _minutes_since("sent_at", dialect) / 1440.0),
    )
    return (
        sa.select(e.c.tenant_id, day, activity, reason, sa.func.count(),
                  sa.func.sum(_number("amount")), sa.func.avg(cycle))
        .where(within, e.c.event_type == "quote_activity",
               activity.in_(["sent", "accepted", "rejected", "expired"]))
        .group_by(e.c.tenant_id, activity, reason)
    )


def _engagement(day: sa.ColumnElement, within: sa.ColumnElement, dialect: str) -> sa.Select:
    touch = e.c.event_type == "touch"
    inbound = _text("touch_type") == "email_in"
    touches = sa.select(
        e.c.tenant_id, sa.case((inbound, 1), else_=0).label("t_in"),
        sa.case((inbound, 0), else_=1).label("t_out"), e.c.entity_id.label("contact"),
        sa.null().label("contacts"), sa.null().label("rate"), sa.null().label("overdue"),
    ).where(within, touch)
    ranked = sa.select(
        e.c.tenant_id, e.c.payload,
        sa.func.row_number().over(partition_by=e.c.tenant_id,
                                  order_by=e.c.occurred_at.desc()).label("n"),
    ).where(within, e.c.event_type == "cycle").subquery()
    metrics = ranked.c.payload
    cycles = sa.select(
        ranked.c.tenant_id, sa.literal(0), sa.literal(0), sa.null(),
        metrics["contacts"].as_integer(), metrics["compliance_rate"].as_float(),
        metrics["overdue"].as_integer(),
    ).where(ranked.c.n == 1)
    rows = sa.union_all(touches, cycles).subquery()
    return sa.select(
        rows.c.tenant_id, day, sa.func.sum(rows.c.t_in), sa.func.sum(rows.c.t_out),
        sa.func.count(sa.distinct(rows.c.contact)), sa.func.max(rows.c.contacts),
        sa.func.max(rows.c.rate), sa.func.max(rows.c.overdue),
    ).group_by(rows.c.tenant_id)


def _response_times(day: sa.ColumnElement, within: sa.ColumnElement, dialect: str) -> sa.Select:
    minutes = _minutes_since("answers_since", dialect)
    return sa.select(
        e.c.tenant_id, day, sa.func.count(), sa.func.sum(minutes),
        _count(minutes <= 60), _count(minutes <= 240), _count(minutes <= 1440),
        sa.func.max(minutes),
    ).where(within, e.c.event_type == "touch", _text("answers_since").is_not(None)
            ).group_by(e.c.tenant_id)


def _actions(day: sa.ColumnElement, within: sa.ColumnElement, dialect: str) -> sa.Select:
    kind, status, rule = _text("kind"), _text("status"), _text("rule")
    return (
        sa.select(e.c.tenant_id, day, kind, status, rule, sa.func.count())
        .where(within, e.c.event_type == "action_decided")
        .group_by(e.c.tenant_id, kind, status, rule)
    )


def _mail(day: sa.ColumnElement, within: sa.ColumnElement, dialect: str) -> sa.Select:
    received = sa.and_(e.c.event_type == "message_stored", _text("direction") == "in")
    settled = e.c.event_type == "outbox_settled"
    feedback = e.c.event_type == "delivery_feedback"
    bounce = sa.and_(feedback, _text("kind") == "bounce")
    return sa.select(
        e.c.tenant_id, day,
        _count(received),
        _count(received, e.c.payload["contact_id"].as_string().is_not(None)),
        _count(received, e.c.payload["contact_id"].as_string().is_(None)),
        _count(settled, _text("status") == "sent"),
        _count(settled, _text("status") == "failed"),
        _count(settled, _text("status") == "delivery_unknown"),
        _count(bounce, _text("outcome") == "suppress"),
        _count(bounce, _text("outcome") == "soft"),
        _count(bounce, _text("outcome") == "ours"),
        _count(bounce, _text("outcome") == "delay"),
        _count(feedback, _text("kind") == "complaint"),
        _count(e.c.event_type == "suppression_added"),
    ).where(within, e.c.event_type.in_(
        ["message_stored", "outbox_settled", "delivery_feedback", "suppression_added"])
    ).group_by(e.c.tenant_id)


def _feedback(day: sa.ColumnElement, within: sa.ColumnElement, dialect: str) -> sa.Select:
    status = _text("status")
    answered = status == "answered"
    return sa.select(
        e.c.tenant_id, day, _count(status == "requested"), _count(answered),
        _count(answered, _text("sentiment") == "positive"),
        _count(answered, _text("sentiment") == "neutral"),
        _count(answered, _text("sentiment") == "negative"),
        _total(_number("score"), answered),
        _count(answered, e.c.payload["score"].as_float().is_not(None)),
    ).where(within, e.c.event_type == "feedback_status").group_by(e.c.tenant_id)


def _compliance(day: sa.ColumnElement, within: sa.ColumnElement, dialect: str) -> sa.Select:
    status = _text("status")
    return sa.select(
        e.c.tenant_id, day, _count(_text("from_status").is_(None)),
        _count(status == "complete"), _count(status == "waived"), _count(status == "cancelled"),
    ).where(within, e.c.event_type == "compliance_check").group_by(e.c.tenant_id)


QUERIES: dict[str, Query] = {
    orders_daily.name: _orders,
    pipeline_daily.name: _pipeline,
    quotes_daily.name: _quotes,
    engagement_daily.name: _engagement,
    response_times_daily.name: _response_times,
    actions_daily.name: _actions,
    mail_daily.name: _mail,
    feedback_daily.name: _feedback,
    compliance_daily.name: _compliance,
}
BY_NAME = {t.name: t for t in FACTS}

def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(), UTC)
    return start, start + timedelta(days=1)


@functools.cache
def day_query(fact: str, dialect: str) -> sa.Select:
    """The fact's rows for the day in the `day`, `start` and `end` parameters: every tenant
    with events that day, one row per dimension. Built once per fact, so SQLAlchemy compiles
    it once: a year's backfill runs it 365 times."""
    within = sa.and_(e.c.occurred_at >= sa.bindparam("start", type_=e.c.occurred_at.type),
                     e.c.occurred_at < sa.bindparam("end", type_=e.c.occurred_at.type))
    return QUERIES[fact](sa.bindparam("day", type_=sa.Date), within, dialect)


def day_params(day: date) -> dict[str, Any]:
    start, end = day_bounds(day)
    return {"day": day, "start": start, "end": end}


@functools.cache
def _insert(fact: str, dialect: str) -> sa.Insert:
    table = BY_NAME[fact]
    query = day_query(fact, dialect).subquery()
    columns = [c.name for c in table.c if c.name != "built_at"]
    return sa.insert(table).from_select(
        [*columns, "built_at"],
        sa.select(*query.c, sa.bindparam("now", type_=table.c.built_at.type)))


def utc_day(column: sa.ColumnElement, dialect: str) -> sa.ColumnElement:
    """The UTC day of a timestamp column (PostgreSQL's own date() follows the session's zone)."""
    if dialect == "postgresql":
        return sa.cast(sa.func.timezone("UTC", column), sa.Date)
    return sa.func.date(column)


def as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def day_rows(scope: WarehouseScope, table: sa.Table, day: date) -> list[dict[str, Any]]:
    """Every tenant's rows of a fact for one day, with the tenant's slug."""
    stmt = (sa.select(tenants.c.slug.label("tenant"), table)
            .join(tenants, tenants.c.id == table.c.tenant_id)
            .where(table.c.day == day)
            .order_by(*table.primary_key.columns))
    return [dict(r) for r in scope.execute(stmt).mappings()]


def newest_event(scope: WarehouseScope) -> int:
    return int(scope.execute(sa.select(sa.func.coalesce(sa.func.max(e.c.id), 0))).scalar())


def build_day(scope: WarehouseScope, day: date, now: datetime, through: int) -> dict[str, int]:
    """Replace every fact's rows for `day` and record the build; returns the rows per fact."""
    dialect = scope.conn.dialect.name
    params = {**day_params(day), "now": now}
    rows = {}
    for table in FACTS:
        scope.execute(sa.delete(table).where(table.c.day == day))
        inserted = scope.execute(_insert(table.name, dialect), params).rowcount
        if inserted < 0:  # SQLite's driver does not count INSERT ... SELECT
            inserted = scope.execute(sa.select(sa.func.count()).select_from(table)
                                     .where(table.c.day == day)).scalar()
        rows[table.name] = int(inserted)
    scope.execute(sa.delete(warehouse_builds).where(warehouse_builds.c.day == day))
    scope.execute(sa.insert(warehouse_builds), [
        {"fact": name, "day": day, "built_at": now, "events_through": through, "rows": count}
        for name, count in rows.items()])
    return rows


def late_days(scope: WarehouseScope, before: Iterable[date]) -> list[date]:
    """Built days (other than `before`) that have events recorded since the newest build saw:
    one look for every fact, since a day's facts are always built together."""
    seen = scope.execute(sa.select(sa.func.max(warehouse_builds.c.events_through))).scalar()
    if seen is None:
        return []
    day = utc_day(e.c.occurred_at, scope.conn.dialect.name)
    stamps = scope.execute(sa.select(day).where(e.c.id > seen).distinct()).scalars()
    days = {as_date(value) for value in stamps}
    built = set(scope.execute(
        sa.select(warehouse_builds.c.day).where(warehouse_builds.c.day.in_(days)).distinct()
    ).scalars()) if days else set()
    return sorted(built - set(before))


def days_built(scope: WarehouseScope, days: list[date]) -> set[date]:
    """Those of `days` every fact has been built for."""
    stmt = (sa.select(warehouse_builds.c.day).where(warehouse_builds.c.day.in_(days))
            .group_by(warehouse_builds.c.day).having(sa.func.count() == len(FACTS)))
    return {as_date(d) for d in scope.execute(stmt).scalars()}
