"""Replies to feedback requests, read for how the client feels, and what each answer leads to.

A reply is inbound mail from a person (never machine mail: ingest gives only a person's mail an
inbound touch) that answers the request's Message-ID (In-Reply-To, or the thread it started),
or that ingest classified as a feedback reply from the order's contact after the request went
out (a new message "about ORD-1: 4/5"; it goes to the order it names, else the latest request).
Only the client's own words are scored (agent/feedback_score.py: an explicit rating wins, else
VADER), never our request quoted under them; a reply with no words of its own is noted on the
row and not scored, and a later one still counts. The answer is kept with the order and the
account.

Negative: a service-recovery case is opened (services/cases.py; the act phase announces it as an
alert) and a person is given a task through the gate, allowed by policy as a safety escalation
(the one-step `service_recovery` cadence, so a rerun opens one task). Positive, where the tenant
turned it on: a review request (when it has a review page) or else a referral request, in the
same thread (the `review_or_referral` cadence).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from agent.actions import Action
from agent.cadence import Cadence, Step
from agent.feedback_score import FeedbackScore, score_feedback
from agent.mail.signatures import own_words
from agent.settings import FeedbackSettings
from resources.database import TenantScope
from resources.database.clock import aware
from resources.store import cadences as enrollments
from resources.store import cases as case_store
from resources.store import feedback as store
from resources.store.schema import feedback
from resources.store.warehouse import record_event
from services.cadence.advance import Advanced, advance
from services.cadence.stops import shared_stops
from services.cases import holding_case, open_case

RECOVERY = "service_recovery"
RECOVERY_CADENCE = Cadence(RECOVERY, "case", (Step(0, "service_recovery"),), kind="create_task")
PRAISE = "review_or_referral"
PRAISE_CADENCE = Cadence(PRAISE, "order", (Step(0, "review_request"),))
# Replies are looked for this long after a request went out; later mail is just mail.
REPLY_WINDOW = timedelta(days=30)


def read_replies(scope: TenantScope, hour: datetime, request_key: Callable[[int], str],
                 counts: Counter) -> None:
    """Note when each request went out, then score the replies that arrived for it."""
    rows = store.with_orders(scope, sa.and_(
        feedback.c.status == "requested",
        sa.or_(feedback.c.requested_at.is_(None), feedback.c.requested_at >= hour - REPLY_WINDOW)))
    sent = store.sent_messages(scope, [request_key(r["order_id"]) for r in rows])
    live, stamped = [], []
    for row in rows:
        request = sent.get(request_key(row["order_id"]))
        if request is None:
            continue
        if row["requested_at"] is None:
            row["requested_at"] = request["sent_at"]
            stamped.append({"id": row["id"], "requested_at": request["sent_at"]})
        live.append({**row, "request_id": request["message_id"],
                     "requested_at": aware(row["requested_at"])})
    store.update_many(scope, stamped, hour)
    if not live:
        return
    replies = store.person_replies(
        scope, [r["request_id"] for r in live if r["request_id"]],
        [r["contact_id"] for r in live if r["contact_id"]], min(r["requested_at"] for r in live))
    by_id = {r["id"]: r for r in live}
    for row_id, found in _by_request(live, replies).items():
        _answer(scope, by_id[row_id], found, hour, counts)


def _by_request(rows: list[dict[str, Any]], replies: list[dict[str, Any]]) -> dict[int, list]:
    """Each reply given to the request it answers, oldest first, skipping what was read before."""
    by_message = {r["request_id"]: r for r in rows if r["request_id"]}
    found: dict[int, list[dict[str, Any]]] = {}
    for reply in replies:
        row = by_message.get(reply["in_reply_to"]) or by_message.get(reply["thread_key"])
        if row is None and reply["classification"] == "feedback_reply":
            row = _named_or_latest(rows, reply)
        if row is not None and reply["id"] > (row["reply_message_id"] or 0):
            found.setdefault(row["id"], []).append(reply)
    return found


def _named_or_latest(rows: list[dict[str, Any]], reply: dict[str, Any]) -> dict | None:
    """The contact's request for the order the reply names, else (naming none) their latest one
    before it; a reply about another order answers none of these."""
    at = aware(reply["at"])
    mine = [r for r in rows if r["contact_id"] == reply["contact_id"] and r["requested_at"] <= at]
    named = {o.get("id") for o in (reply["links"] or {}).get("orders", [])}
    if named:
        return next((r for r in mine if r["order_id"] in named), None)
    return max(mine, key=lambda r: r["requested_at"], default=None)


def _answer(scope: TenantScope, row: dict[str, Any], replies: list[dict[str, Any]],
            hour: datetime, counts: Counter) -> None:
    for reply in replies:
        score = score_feedback(own_words(reply["body_text"] or ""))
        if score.method != "empty":
            _record(scope, row, reply, score, hour, counts)
            return
    last = replies[-1]
    store.update(scope, row["id"], hour, reply_message_id=last["id"],
                 evidence=f"the reply of {aware(last['at']):%Y-%m-%d %H:%M} UTC only quotes our "
                          "request: nothing of the client's own to score")
    counts["replies_not_scored"] += 1


def _record(scope: TenantScope, row: dict[str, Any], reply: dict[str, Any],
            score: FeedbackScore, hour: datetime, counts: Counter) -> None:
    answered = aware(reply["at"])
    store.update(scope, row["id"], hour, status="answered", answered_at=answered,
                 reply_message_id=reply["id"], sentiment=score.sentiment, score=score.score,
                 rating=score.rating[:20] if score.rating else None, method=score.method,
                 evidence=score.evidence)
    record_event(scope, f"feedback_answered:{row['order_id']}", "feedback_answered", answered,
                 {"order_id": row["order_id"], "account_id": row["account_id"],
                  "sentiment": score.sentiment, "score": score.score, "rating": score.rating,
                  "method": score.method}, None, "order", str(row["order_id"]))
    counts[f"answered_{score.sentiment}"] += 1
    if score.sentiment == "negative":
        case_id = open_case(
            scope, hour, title=f"Unhappy with {row['order_number']}", source="feedback",
            detail=f"{row['email'] or 'The client'} answered the feedback request on "
                   f"{answered:%Y-%m-%d}: {score.describe()}",
            order_id=row["order_id"], account_id=row["account_id"], contact_id=row["contact_id"])
        store.update(scope, row["id"], hour, case_id=case_id)
        enrollments.enroll(scope, [_enrollment(RECOVERY, "case", case_id, row, hour)])
        counts["cases_opened"] += 1
    elif score.sentiment == "positive" and praise_template(scope.tenant.settings.feedback):
        # from the reply on, so the reply itself is not taken for a later one that stops it
        enrollments.enroll(scope, [_enrollment(PRAISE, "order", row["order_id"], row,
                                               max(hour, answered))])


def _enrollment(cadence: str, entity: str, entity_id: int, row: dict[str, Any],
                start: datetime) -> dict[str, Any]:
    return {"cadence": cadence, "entity_type": entity, "entity_id": entity_id, "round": 1,
            "contact_id": row["contact_id"], "address": row["email"], "started_at": start}


def praise_template(settings: FeedbackSettings) -> str | None:
    """What positive feedback leads to: a review request where the tenant has a review page,
    else a referral request where it asks for referrals, else nothing."""
    if settings.review_url:
        return "review_request"
    return "referral_request" if settings.referral_requests else None


def advance_follow_ups(scope: TenantScope, hour: datetime) -> list[tuple[str, Advanced]]:
    """The recovery tasks and the review or referral requests, each a one-step cadence."""
    return [("recovery_", _recoveries(scope, hour)), ("praise_", _praise(scope, hour))]


def _recoveries(scope: TenantScope, hour: datetime) -> Advanced:
    rows = enrollments.open_enrollments(scope, RECOVERY)
    cases = {r["entity_id"]: case_store.get(scope, r["entity_id"]) for r in rows}
    stops = {r["id"]: f"case {r['entity_id']} was closed before its task was opened"
             for r in rows if (cases[r["entity_id"]] or {}).get("status") != "open"}
    return advance(scope, lambda _row: RECOVERY_CADENCE, rows, stops, {}, hour,
                   lambda row, _step: _task(cases[row["entity_id"]] or {}, row))


def _task(case: dict[str, Any], row: dict[str, Any]) -> Action:
    who = case.get("contact_email") or "the client"
    order = case.get("order_number") or "their order"
    why = f"negative feedback on {order} (case {row['entity_id']}): {case.get('detail') or ''}"
    return Action(
        kind="create_task",
        target=row["address"],
        payload={"basis": "safety_escalation", "escalation_reason": why[:500],
                 "title": f"Service recovery: call {who} about {order}",
                 "case_id": row["entity_id"], "order_id": case.get("order_id")},
        reason=why[:500],
        priority=80,
        idempotency_key=RECOVERY_CADENCE.key(row["entity_id"], 1, row["round"]),
    )


def _praise(scope: TenantScope, hour: datetime) -> Advanced:
    rows = enrollments.open_enrollments(scope, PRAISE)
    if not rows:
        return Advanced()
    settings = scope.tenant.settings.feedback
    template = praise_template(settings)
    orders = store.by_orders(scope, [r["entity_id"] for r in rows])
    cases = case_store.open_cases(scope)
    stops = shared_stops(scope, rows)
    for row in rows:
        order = orders.get(row["entity_id"])
        if template is None:
            stops[row["id"]] = "the tenant turned off review and referral requests"
        elif order and (held := holding_case(order, cases)):
            stops[row["id"]] = held
    return advance(scope, lambda _row: PRAISE_CADENCE, rows, stops, {}, hour,
                   lambda row, _step: _ask(scope, orders.get(row["entity_id"]) or {}, row,
                                           template or "referral_request", settings))


def _ask(scope: TenantScope, order: dict[str, Any], row: dict[str, Any], template: str,
         settings: FeedbackSettings) -> Action:
    reply = store.message(scope, order["reply_message_id"]) if order.get("reply_message_id") \
        else None
    number = order.get("order_number") or "your order"
    variables = {"first_name": order.get("first_name") or "there", "order_number": number}
    if template == "review_request":
        variables["review_url"] = settings.review_url
    what = "a review" if template == "review_request" else "a referral"
    return Action(
        kind="follow_up",
        target=row["address"],
        payload={"template": template, "vars": variables, "contact_id": row["contact_id"],
                 "order_id": row["entity_id"],
                 "in_reply_to": reply["message_id_header"] if reply else None},
        reason=f"positive feedback on {number} ({order.get('evidence') or '-'}): asking for "
               f"{what}",
        priority=40,
        idempotency_key=PRAISE_CADENCE.key(row["entity_id"], 1, row["round"]),
    )
