"""The quotes engine: a sent or viewed quote is followed up until the client decides or it expires.

Per tenant and hour: first the clients' answers are read (services/cadence/quote_responses.py),
so a quote accepted this morning is not chased this morning; then quotes whose `valid_until`
has passed (the tenant's local date) expire. A quote without an expiry date, without a contact,
or whose contact has no address or is suppressed is marked with the reason (`needs_attention`)
and left alone; the others are enrolled in the quote follow-up cadence: a follow-up every
`quote_follow_up_days` business days after the quote (or the previous follow-up) went out, at
most `quote_max_follow_ups`, normal twice, then firmer, the last one final. Follow-ups made
before Steward took the quote on count toward the maximum. The quote decided, a reply from the
contact, a bounce or opt-out, or its contact changed stops the cadence, also at dispatch (the
quote's stop rules are in services/cadence/recheck.py's registry). After the last step, or when
the cadence stopped without a decision, the quote is marked for a person.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from agent.actions import Action
from agent.cadence import Cadence, Step
from agent.settings import Thresholds
from resources.database import TenantScope
from resources.database.clock import aware
from resources.store import cadences as store
from resources.store import quotes as quote_store
from resources.store.schema import cadence_steps, quotes
from services import quotes as lifecycle
from services.cadence.advance import Advanced, advance, calendar_of
from services.cadence.quote_hour import away_until, next_due, record_hour
from services.cadence.quote_responses import read_responses
from services.cadence.stops import shared_stops

NAME = "quote_follow_up"
ESCALATE_AFTER = 2  # follow-ups before the firmer template
KEYS = Cadence(NAME, "quote", ())  # the step keys, whatever the tenant's spacing and maximum
UNWORKABLE = "not followed up: "  # the engine's own marks, cleared once the cause is fixed
LATE_AFTER = timedelta(days=1)


def quote_cadence(thresholds: Thresholds) -> Cadence:
    steps = []
    for n in range(1, thresholds.quote_max_follow_ups + 1):
        last = n == thresholds.quote_max_follow_ups
        urgency = "normal" if n <= ESCALATE_AFTER else "final" if last else "firm"
        template = "quote_follow_up" if urgency == "normal" else "quote_follow_up_urgent"
        steps.append(Step(thresholds.quote_follow_up_days, template, urgency))
    return Cadence(NAME, "quote", tuple(steps))


def quotes_engine(scope: TenantScope, hour: datetime) -> Advanced:
    cadence = quote_cadence(scope.tenant.settings.thresholds)
    answers = read_responses(scope, hour)
    open_quotes = {q["id"]: q for q in
                   quote_store.with_contacts(scope, quotes.c.status.in_(lifecycle.OPEN))}
    expired = _expire(scope, open_quotes, hour)
    workable = _workable(scope, open_quotes, hour)
    if cadence.maximum:
        _enroll(scope, workable, hour)
    rows = store.open_enrollments(scope, NAME)
    by_id = {**open_quotes, **_missing(scope, rows, open_quotes)}
    stops = {**_quote_stops(scope, rows, by_id), **shared_stops(scope, rows)}
    done = advance(
        scope, lambda row: cadence, rows, stops,
        away_until(workable),
        hour, lambda row, step: _follow_up(by_id[row["entity_id"]], row, step, cadence),
    )
    record_hour(scope, rows, done, by_id, cadence, hour)
    done.counts.update({f"answers_{k}": n for k, n in answers.items()})
    done.counts.update({"expired": expired} if expired else {})
    return done


def _missing(scope: TenantScope, rows: list[dict], known: dict[int, dict]) -> dict[int, dict]:
    """The quotes of open enrollments that are no longer open (decided, or gone: absent)."""
    wanted = sorted({r["entity_id"] for r in rows} - set(known))
    return quote_store.by_ids(scope, wanted)


def _expire(scope: TenantScope, open_quotes: dict[int, dict], hour: datetime) -> int:
    today = lifecycle.local_today(scope, hour)
    lapsed = [(q, f"valid until {q['valid_until']}, which passed without a decision")
              for q in open_quotes.values()
              if q["valid_until"] is not None and q["valid_until"] < today]
    for quote, _ in lapsed:  # one moved meanwhile is read as it is next hour
        del open_quotes[quote["id"]]
    return len(lifecycle.expire_many(scope, lapsed, "steward", hour))


def _workable(scope: TenantScope, open_quotes: dict[int, dict], hour: datetime) -> dict:
    """The open quotes that can be followed up; the others are marked with why not."""
    reachable = shared_stops(scope, [
        {"id": q["id"], "contact_id": None, "address": q["email"], "started_at": hour}
        for q in open_quotes.values() if q["contact_id"]])
    workable, marks, unscheduled = {}, [], []
    for quote in open_quotes.values():
        why = None
        if quote["valid_until"] is None:
            why = "no expiry date (valid_until) to follow it up until"
        elif quote["contact_id"] is None:
            why = "no contact on the quote to follow up with"
        elif quote["id"] in reachable:
            why = reachable[quote["id"]].replace("no address", "the contact has no address")
        ours = not quote["needs_attention"] or quote["needs_attention"].startswith(UNWORKABLE)
        if not why:
            if ours and quote["needs_attention"]:  # the cause is fixed
                marks.append((quote, None))
            workable[quote["id"]] = quote
            continue
        if ours:  # a client's answer waiting for a person is not overwritten
            marks.append((quote, UNWORKABLE + why))
        if quote["next_follow_up_at"]:  # none is coming
            unscheduled.append({"id": quote["id"], "next_follow_up_at": None, "updated_at": hour})
    lifecycle.attention_many(scope, marks, hour)
    quote_store.update_many(scope, unscheduled)
    return workable


def _enroll(scope: TenantScope, workable: dict[int, dict], hour: datetime) -> None:
    """One enrollment per quote, its clock started when the quote went out (or, for a quote
    followed up before Steward, the follow-up before the one due next)."""
    thresholds = scope.tenant.settings.thresholds
    enrolled = store.latest_rounds(scope, NAME, list(workable))
    rows = []
    for quote in workable.values():
        if quote["id"] in enrolled:
            continue
        sent = aware(quote["sent_at"] or quote["created_at"])
        start, prior = sent, min(quote["follow_up_count"], thresholds.quote_max_follow_ups)
        if prior and quote["next_follow_up_at"]:
            every = timedelta(days=thresholds.quote_follow_up_days)
            start = max(sent, aware(quote["next_follow_up_at"]) - every)
        rows.append({"cadence": NAME, "entity_type": "quote", "entity_id": quote["id"],
                     "round": 1, "contact_id": quote["contact_id"], "address": quote["email"],
                     "started_at": min(start, hour), "steps_planned": prior})
    store.enroll(scope, rows)


def quote_stops(scope: TenantScope, rows: list[dict[str, Any]]) -> dict[int, str]:
    """The quote's own stop rules for these enrollments (dispatch asks again before sending)."""
    ids = sorted({r["entity_id"] for r in rows})
    by_id = quote_store.by_ids(scope, ids)
    return _quote_stops(scope, rows, by_id)


def _quote_stops(scope: TenantScope, rows: list[dict], by_id: dict[int, dict]) -> dict[int, str]:
    found: dict[int, str] = {}
    earlier = []  # enrollments whose clock started after the quote went out
    for row in rows:
        quote = by_id.get(row["entity_id"])
        if quote is None:
            found[row["id"]] = "the quote is gone"
        elif quote["status"] not in lifecycle.OPEN:
            when = f" {aware(quote['decided_at']):%Y-%m-%d}" if quote["decided_at"] else ""
            found[row["id"]] = f"quote {quote['quote_number']} {quote['status']}{when}"
        elif quote["valid_until"] is None:
            found[row["id"]] = f"quote {quote['quote_number']} has no expiry date any more"
        elif (quote["email"] or "").lower() != (row["address"] or "").lower():
            found[row["id"]] = f"the quote's contact is now {quote['email'] or 'nobody'}"
        elif quote["sent_at"] and aware(quote["sent_at"]) < aware(row["started_at"]):
            earlier.append({**row, "started_at": quote["sent_at"]})
    return {**shared_stops(scope, earlier), **found}


def _follow_up(quote: dict[str, Any], row: dict[str, Any], step: int, cadence: Cadence) -> Action:
    planned = cadence.steps[min(step, cadence.maximum) - 1]
    return Action(
        kind="follow_up",
        target=row["address"],
        payload={
            "template": planned.template,
            "vars": {"first_name": quote["first_name"] or "there",
                     "quote_number": quote["quote_number"], "amount": f"{quote['amount']:,.2f}",
                     "valid_until": _day(quote["valid_until"]),
                     "final": planned.urgency == "final"},
            "contact_id": quote["contact_id"],
            "quote_id": quote["id"],
        },
        reason=f"quote {quote['quote_number']} {quote['status']} since "
               f"{aware(quote['viewed_at'] or quote['sent_at'] or quote['created_at']):%Y-%m-%d}"
               f", no decision: follow-up {step} of {cadence.maximum} ({planned.urgency})",
        priority=planned.priority,
        idempotency_key=KEYS.key(row["entity_id"], step, row["round"]),
    )


def _day(day: date | None) -> str:
    """A date as the client reads it; a quote whose date went missing since the step was first
    planned (a rerun of the hour re-proposes it) still renders."""
    return f"{day:%B} {day.day}, {day.year}" if day else "the date we agreed"


def late_follow_ups(scope: TenantScope, now: datetime) -> list[dict[str, Any]]:
    """Follow-ups of undecided quotes due more than a day before `now` that have not gone out:
    never planned (no cycle ran), or planned and still on their way (deferred, held), with why.
    The figure behind the `quote_follow_ups_on_time` check."""
    cadence, calendar = quote_cadence(scope.tenant.settings.thresholds), calendar_of(scope)
    rows = [r for r in store.open_enrollments(scope, NAME) if r["status"] == "active"]
    ids = sorted({r["entity_id"] for r in rows})
    by_id = quote_store.by_ids(scope, ids)
    planned = _planned_at(scope, [(r["id"], r["steps_planned"]) for r in rows if r["pending"]])
    late = []
    for row in rows:
        quote = by_id.get(row["entity_id"])
        if quote is None or quote["status"] not in lifecycle.OPEN:
            continue
        if row["pending"]:
            step, due, why = row["steps_planned"], planned.get(row["id"]), row["pending"]
        else:
            step, why = row["steps_planned"] + 1, "not planned yet"
            due = next_due(row, cadence, calendar, away_until(by_id))
        if due is not None and now - due > LATE_AFTER:
            late.append({"quote_id": quote["id"], "quote_number": quote["quote_number"],
                         "step": step, "due_at": due,
                         "hours_late": int((now - due).total_seconds() // 3600), "why": why})
    return late


def _planned_at(scope: TenantScope, steps: list[tuple[int, int]]) -> dict[int, datetime]:
    """When each (enrollment, step) was planned: the hour it was first due and proposed."""
    if not steps:
        return {}
    rows = scope.execute(
        scope.select(cadence_steps.c.enrollment_id, cadence_steps.c.planned_at)
        .where(sa.tuple_(cadence_steps.c.enrollment_id, cadence_steps.c.step).in_(steps))
    ).all()
    return {enrollment: aware(at) for enrollment, at in rows}
