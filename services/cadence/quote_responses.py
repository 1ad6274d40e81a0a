"""Clients' answers to open quotes, read once each, every hour before the quotes are followed up.

A candidate is mail a person wrote (ingest gave it an inbound touch: machine mail never gets
one) that names an open quote (ingest's `links`, by the quote's number) and that no quote
activity has read yet. Its own words (agent/quote_response.py) decide: a plain acceptance or
rejection from the quote's contact, or someone at its account, moves the quote, with the
sentence that shows it and the client as who did it; a rejection keeps the client's reason and
its code when the tenant's list has it. Anything less plain, an answer from someone else, or an
acceptance after the quote's validity ended is left to a person: the quote is marked, and the
message becomes a client request for a person, which the planner turns into a human task
through the gate (the policy allows human tasks on a client's request). A reply that only
quotes our mail is logged as read, with nothing to decide.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from agent.quote_response import QuoteDecision, read_quote_response
from resources.database import TenantScope
from resources.database.clock import aware
from resources.store.schema import messages, quote_activities, quotes, touches
from resources.store.signals import record_signals
from services import quotes as lifecycle


def read_responses(scope: TenantScope, hour: datetime) -> Counter:
    """Read the new answers to open quotes; counts by what they decided."""
    counts: Counter = Counter()
    open_quotes = {q["id"]: q for q in (dict(r) for r in scope.execute(
        scope.select(quotes).where(quotes.c.status.in_(lifecycle.OPEN))).mappings())}
    if not open_quotes:
        return counts
    for message in _candidates(scope, open_quotes):
        named = [link.get("id") for link in (message["links"] or {}).get("quotes") or []]
        for quote_id in dict.fromkeys(q for q in named if q in open_quotes):
            quote = open_quotes[quote_id]
            when = min(aware(message["sent_at"]) if message["sent_at"] else hour, hour)
            if quote["status"] in lifecycle.OPEN and when >= _sent(quote):
                counts[_answer(scope, quote, message, when, hour)] += 1
    return counts


def _sent(quote: dict[str, Any]) -> datetime:
    return aware(quote["sent_at"] or quote["created_at"])


def _candidates(scope: TenantScope, open_quotes: dict[int, dict]) -> list[dict[str, Any]]:
    written = sa.func.coalesce(messages.c.sent_at, messages.c.created_at)
    by_person = scope.select(touches.c.id).where(
        touches.c.message_id == messages.c.id, touches.c.touch_type == "email_in")
    read = scope.select(quote_activities.c.id).where(
        quote_activities.c.message_id == messages.c.id)
    query = (
        scope.select(messages.c.id, messages.c.from_addr, messages.c.sent_at, messages.c.links,
                     messages.c.body_text, messages.c.contact_id, messages.c.account_id)
        .where(messages.c.direction == "in", messages.c.status == "stored",
               sa.cast(messages.c.links, sa.Text).like('%"quotes"%'),
               written >= min(_sent(q) for q in open_quotes.values()),
               by_person.exists(), ~read.exists())
        .order_by(written, messages.c.id)
    )
    return [dict(r) for r in scope.execute(query).mappings()]


def _answer(scope: TenantScope, quote: dict[str, Any], message: dict[str, Any], when: datetime,
            hour: datetime) -> str:
    """Apply one message's answer to one quote; returns what it decided."""
    codes = scope.tenant.settings.quote_reasons
    decision = read_quote_response(message["body_text"] or "", codes)
    by = f"client:{message['from_addr']}"
    why = {"detail": decision.describe(), "evidence": decision.evidence or None,
           "message_id": message["id"]}
    if decision.rule == "empty":
        lifecycle.note(scope, quote["id"], "response_empty", by, when,
                       "the reply holds nothing but quoted text: nothing to decide",
                       message_id=message["id"])
        return "empty"
    doubt = _doubt(quote, message, decision, lifecycle.local_today(scope, when))
    try:
        if decision.decision == "accepted" and not doubt:
            quote.update(lifecycle.move(scope, quote, "accepted", by, when, **why))
            return "accepted"
        if decision.decision == "rejected" and not doubt:
            code = decision.reason_code if decision.reason_code in codes else None
            quote.update(lifecycle.reject(scope, quote, code, by, when, decision.reason, **why))
            return "rejected"
    except lifecycle.QuoteError as exc:  # a person decided it meanwhile
        lifecycle.note(scope, quote["id"], "response", by, when, f"{exc}: {why['detail']}",
                       why["evidence"], message["id"])
        return "late"
    detail = f"{doubt}: {why['detail']}" if doubt else why["detail"]
    lifecycle.note(scope, quote["id"], "response_unclear", by, when, detail, why["evidence"],
                   message["id"])
    lifecycle.attention(scope, quote, f"the client's answer needs a person: {detail}", hour)
    record_signals(scope, [{
        "message_id": message["id"], "contact_id": message["contact_id"],
        "kind": "human_request", "strength": 1.0,
        "evidence": f"answer to quote {quote['quote_number']} needs a person "
                    f"({doubt or decision.rule}): '{decision.evidence}'"[:1000]}])
    return "unclear"


def _doubt(quote: dict[str, Any], message: dict[str, Any], decision: QuoteDecision,
           day: date) -> str | None:
    """Why a plain answer still cannot decide the quote, or None."""
    ours = message["contact_id"] is not None and message["contact_id"] == quote["contact_id"]
    same_account = quote["account_id"] is not None and message["account_id"] == quote[
        "account_id"]
    if not (ours or same_account):
        return f"{message['from_addr']} is neither the quote's contact nor at its account"
    if (decision.decision == "accepted" and quote["valid_until"] is not None
            and day > quote["valid_until"]):
        return f"accepted on {day}, after the quote was valid (until {quote['valid_until']})"
    return None
