"""The feedback engine: every delivered order gets one request for feedback, and every answer is
read for how the client feels and acted on.

Per tenant and hour: a delivered order gets a feedback row, due `feedback_after_days` after
the delivery (a delivery dated after the hour being run is bad input: skipped with the reason,
and scheduled again once the date is no longer ahead). When it falls due the request is made,
unless the order has no contact address, the address is suppressed, a case is open for the
order or its account, or the request would be more than two weeks late (a tenant's first cycles
must not ask about every order it ever delivered): then the row is skipped with that reason, for
good. A request sent after a complaint was settled would ask about an order weeks old, and
whoever closes the case has heard from the client already. Otherwise the order is enrolled in
the one-step `feedback_request` cadence, so the request goes through the gate like any mail
(caps, send window, suppression, kill switches), keyed per order: a rerun or a backfill sends
nothing twice. A case opened or an answer recorded before it leaves stops it, here and again at
dispatch (`feedback_stops`). The replies and what they lead to are
services/cadence/feedback_replies.py.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from agent.actions import Action
from agent.cadence import Cadence, Step
from resources.database import TenantScope
from resources.database.clock import aware
from resources.store import cadences as enrollments
from resources.store import cases as case_store
from resources.store import feedback as store
from resources.store.schema import feedback
from resources.store.suppressions import every_reason
from services.cadence.advance import Advanced, advance, calendar_of
from services.cadence.feedback_replies import advance_follow_ups, read_replies
from services.cadence.stops import shared_stops
from services.cases import holding_case

NAME = "feedback_request"
CADENCE = Cadence(NAME, "order", (Step(0, "feedback_request"),))
FUTURE = "delivered in the future"
# A delivery stamped within the hour being run is just not seen yet; beyond it, it is bad input.
FUTURE_GRACE = timedelta(hours=1)
# A request this long past its due date is not made: the first cycles on a tenant with years of
# delivered orders (or after weeks with the kill switch on) must not ask about all of them.
TOO_LATE = timedelta(days=14)
# How long a due request may wait (a weekend, a holiday, a deferral) before coverage flags it.
COVERAGE_GRACE = timedelta(days=3)


def request_key(order_id: int) -> str:
    return CADENCE.key(order_id, 1)


def feedback_engine(scope: TenantScope, hour: datetime) -> Advanced:
    done = Advanced()
    _schedule(scope, hour, done.counts)
    _fall_due(scope, hour, done.counts)
    requests = _requests(scope, hour)
    read_replies(scope, hour, request_key, done.counts)
    for prefix, moved in [("", requests), *advance_follow_ups(scope, hour)]:
        done.actions += moved.actions
        done.counts.update({f"{prefix}{k}": v for k, v in moved.counts.items()})
    return done


def _schedule(scope: TenantScope, hour: datetime, counts: Counter) -> None:
    days = timedelta(days=scope.tenant.settings.thresholds.feedback_after_days)
    rows = []
    for order in store.unscheduled(scope):
        delivered = aware(order["delivered_at"])
        if hour < delivered <= hour + FUTURE_GRACE:
            continue
        future = delivered > hour
        rows.append({"order_id": order["id"],
                     "account_id": order["account_id"] or order["contact_account_id"],
                     "contact_id": order["contact_id"], "due_at": delivered + days,
                     "status": "skipped" if future else "scheduled",
                     "skip_reason": _future(delivered, hour) if future else None,
                     "created_at": hour, "updated_at": hour})
    store.add(scope, rows)
    counts["scheduled"] += sum(r["status"] == "scheduled" for r in rows)
    counts["skipped"] += sum(r["status"] == "skipped" for r in rows)


def _future(delivered: datetime, hour: datetime) -> str:
    return (f"{FUTURE}: delivered_at {delivered:%Y-%m-%d %H:%M} UTC is after {hour:%Y-%m-%d %H:%M}"
            " UTC (bad input); scheduled again once that date has come")


def _fall_due(scope: TenantScope, hour: datetime, counts: Counter) -> None:
    """Scheduled rows follow their order's delivery date (a delivery dated ahead, skipped when
    first seen, is scheduled once that date has come); due ones are enrolled or skipped."""
    days = timedelta(days=scope.tenant.settings.thresholds.feedback_after_days)
    rows = store.with_orders(scope, sa.or_(
        feedback.c.status == "scheduled",
        sa.and_(feedback.c.status == "skipped", feedback.c.skip_reason.like(f"{FUTURE}:%"))))
    due, changes = [], []
    for row in rows:
        delivered = aware(row["delivered_at"]) if row["delivered_at"] else None
        why = ("the order has no delivery date now" if delivered is None
               else "the order was cancelled" if row["order_status"] == "cancelled" else None)
        if why:
            changes.append({"id": row["id"], "status": "skipped", "skip_reason": why})
            counts["skipped"] += 1
            continue
        if delivered > hour + FUTURE_GRACE:
            continue  # still ahead of this hour (or of a backfilled one): not due, nothing to do
        due_at = delivered + days
        if (row["status"], aware(row["due_at"])) != ("scheduled", due_at):
            changes.append({"id": row["id"], "status": "scheduled", "skip_reason": None,
                            "due_at": due_at})
        row["due_at"] = due_at
        if due_at <= hour:
            due.append(row)
    store.update_many(scope, changes, hour)
    _request_or_skip(scope, due, hour, counts)


def _request_or_skip(scope: TenantScope, due: list[dict[str, Any]], hour: datetime,
                     counts: Counter) -> None:
    if not due:
        return
    cases = case_store.open_cases(scope)
    suppressed = every_reason(scope)
    enroll, changes = [], []
    for row in due:
        address = (row["email"] or "").lower()
        case = holding_case(row, cases)
        late = hour - row["due_at"] > TOO_LATE
        why = (f"too late to ask: the request fell due on {row['due_at']:%Y-%m-%d}, more than "
               f"{TOO_LATE.days} days ago" if late
               else "the order has no contact to ask" if row["contact_id"] is None
               else "the contact has no email address" if not address
               else f"{address} is suppressed ({suppressed[address]})" if address in suppressed
               else case)
        if why:
            changes.append({"id": row["id"], "status": "skipped", "skip_reason": why})
            counts["skipped"] += 1
            continue
        changes.append({"id": row["id"], "status": "requested"})
        enroll.append({"cadence": NAME, "entity_type": "order", "entity_id": row["order_id"],
                       "round": 1, "contact_id": row["contact_id"], "address": row["email"],
                       "started_at": hour})
    store.update_many(scope, changes, hour)
    enrollments.enroll(scope, enroll)


def _requests(scope: TenantScope, hour: datetime) -> Advanced:
    rows = enrollments.open_enrollments(scope, NAME)
    if not rows:
        return Advanced()
    orders = store.by_orders(scope, [r["entity_id"] for r in rows])
    stops = {**shared_stops(scope, rows), **_stops(rows, orders, case_store.open_cases(scope))}
    calendar = calendar_of(scope)
    done = advance(
        scope, lambda _row: CADENCE, rows, stops,
        {f["contact_id"]: f["ooo_until"] for f in orders.values() if f["ooo_until"]}, hour,
        lambda row, step: _request(orders.get(row["entity_id"], {}), row, calendar))
    changes = []
    for row, status, why in done.ended:
        found = orders.get(row["entity_id"])
        if found is None or found["status"] != "requested":
            continue
        if row["outcome"] == "sent":
            if found["requested_at"] is None:
                changes.append({"id": found["id"], "requested_at": row["settled_at"]})
        else:
            why = why if status == "stopped" else row["outcome"] or why
            changes.append({"id": found["id"], "status": "skipped",
                            "skip_reason": f"request not sent: {why}"})
    store.update_many(scope, changes, hour)
    return done


def _request(order: dict[str, Any], row: dict[str, Any], calendar) -> Action:
    delivered = aware(order["delivered_at"]) if order.get("delivered_at") else None
    day = calendar.local_date(delivered) if delivered else None
    number = order.get("order_number") or "your order"
    return Action(
        kind="follow_up",
        target=row["address"],
        payload={
            "template": "feedback_request",
            "vars": {"first_name": order.get("first_name") or "there", "order_number": number,
                     "delivered_on": f"{day:%B} {day.day}" if day else "recently"},
            "contact_id": row["contact_id"],
            "order_id": row["entity_id"],
        },
        reason=f"{number} was delivered on {day or '-'}: asking the client how it went",
        priority=45,
        idempotency_key=CADENCE.key(row["entity_id"], 1, row["round"]),
    )


def feedback_stops(scope: TenantScope, rows: list[dict[str, Any]]) -> dict[int, str]:
    """The feedback request's own stop rules for these enrollments (dispatch asks again)."""
    orders = store.by_orders(scope, [r["entity_id"] for r in rows])
    return _stops(rows, orders, case_store.open_cases(scope))


def _stops(rows: list[dict[str, Any]], orders: dict[int, dict[str, Any]],
           cases: list[dict[str, Any]]) -> dict[int, str]:
    found = {}
    for row in rows:
        order = orders.get(row["entity_id"])
        if order is None:
            found[row["id"]] = "the order is gone"
        elif order["status"] == "answered":
            found[row["id"]] = f"the client already answered about {order['order_number']}"
        elif why := holding_case(order, cases):
            found[row["id"]] = why
    return found


def feedback_gaps(scope: TenantScope, now: datetime) -> list[dict[str, Any]]:
    """Orders delivered `feedback_after_days` or more before `now` with neither a request nor a
    recorded reason for none (the `feedback_coverage` check): no feedback row, a row still
    scheduled or a request still unsent well after it fell due, or a skip without a reason."""
    days = timedelta(days=scope.tenant.settings.thresholds.feedback_after_days)
    gaps = []
    for row in store.coverage(scope, now - days, NAME):
        why = _gap(row, now)
        if why:
            gaps.append({"order_id": row["order_id"], "order_number": row["order_number"],
                         "delivered_at": aware(row["delivered_at"]),
                         "status": row["status"] or "-", "why": why})
    return gaps


def _gap(row: dict[str, Any], now: datetime) -> str | None:
    if row["feedback_id"] is None:
        return "no feedback row: the feedback engine has not seen the order"
    late = aware(row["due_at"]) + COVERAGE_GRACE < now
    if row["status"] == "scheduled" and late:
        return f"due {aware(row['due_at']):%Y-%m-%d %H:%M} UTC and still scheduled"
    if row["status"] == "requested" and row["requested_at"] is None and late:
        return f"the request has not gone out: {row['waiting'] or row['end_reason'] or 'pending'}"
    if row["status"] == "skipped" and not (row["skip_reason"] or "").strip():
        return "skipped without a reason"
    return None
