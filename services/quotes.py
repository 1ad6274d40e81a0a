"""A quote's life in one place: draft -> sent -> viewed -> accepted, rejected or expired.

Every status change goes through `move`: it checks the transition, changes the status with a
compare-and-set on the status it saw (a person at the CLI and the hourly engine cannot both
win), sets the time that goes with it and writes the `quote_activities` row with who did it,
why and the evidence. Other events of a quote's life (a follow-up planned, an answer too
unclear to act on, a reason it needs a person) are logged by `note`. A person's rejection
carries a reason code from the tenant's list (settings.quote_reasons) and may carry free text;
a client's rejection whose reason is not on the list keeps the client's words without a code.
An expired quote is lost for "no_response" when the tenant's list has that code.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from resources.database import TenantScope
from resources.store import quotes as store
from resources.store.schema import contacts, deals, quotes

OPEN = ("sent", "viewed")
DECIDED = ("accepted", "rejected", "expired")
STATUSES = ("draft", *OPEN, *DECIDED)
# The status a quote reaches, from the statuses it may leave.
MOVES: dict[str, tuple[str, ...]] = {
    "sent": ("draft",),
    "viewed": ("sent",),
    "accepted": OPEN,
    "rejected": OPEN,
    "expired": OPEN,
}
STAMPS = {"sent": "sent_at", "viewed": "viewed_at"}  # the decisions set decided_at
UNANSWERED = "no_response"


class QuoteError(ValueError):
    """A change the quote cannot make (an illegal transition, an unknown reason), with why."""


def get(scope: TenantScope, ref: str | int) -> dict[str, Any]:
    """A quote by its id or its number (Q-2001), with its contact's address."""
    text = str(ref).strip()
    key = sa.func.upper(quotes.c.quote_number) == text.upper()
    if text.isdigit():  # an id, or a number made of digits
        key = sa.or_(quotes.c.id == int(text), key)
    found = store.with_contacts(scope, key)
    row = next((r for r in found if str(r["id"]) == text), found[0] if found else None)
    if row is None:
        raise QuoteError(f"no quote {text} for tenant {scope.tenant.slug} "
                         "(see `steward quote list`)")
    return row


def create(
    scope: TenantScope, contact_email: str, amount: Decimal, by: str, now: datetime, *,
    valid_until: date | None = None, number: str | None = None, deal_id: int | None = None,
) -> dict[str, Any]:
    """A draft quote for a known contact (and the contact's account); numbered Q-<next> unless
    `number` is given."""
    address = contact_email.strip().lower()
    contact = scope.execute(
        scope.select(contacts.c.id, contacts.c.account_id)
        .where(sa.func.lower(contacts.c.email) == address)
    ).first()
    if contact is None:
        raise QuoteError(f"no contact {address} for tenant {scope.tenant.slug}: a quote goes to "
                         "a known contact")
    if deal_id is not None and not scope.scalar(scope.select(deals.c.id).where(
            deals.c.id == deal_id)):
        raise QuoteError(f"no deal {deal_id} for tenant {scope.tenant.slug} "
                         "(see `steward deal list`)")
    if amount < 0:
        raise QuoteError(f"a quote's amount cannot be negative, got {amount}")
    number = (number or _next_number(scope)).strip().upper()
    if store.number_taken(scope, number):
        raise QuoteError(f"quote {number} exists already (see `steward quote show {number}`)")
    store.add(scope, {
        "quote_number": number, "contact_id": contact.id, "account_id": contact.account_id,
        "deal_id": deal_id, "amount": amount, "valid_until": valid_until, "status": "draft",
        "created_at": now, "updated_at": now})
    quote = get(scope, number)
    _log(scope, quote["id"], "created", None, "draft", by, now, f"for {address}: {amount:.2f}")
    return quote


def _next_number(scope: TenantScope) -> str:
    taken = [int(n[2:]) for n in store.numbers(scope) if n.startswith("Q-") and n[2:].isdigit()]
    return f"Q-{max(taken, default=1000) + 1}"


def send(scope: TenantScope, ref: str | int, by: str, now: datetime,
         valid_until: date | None = None) -> dict[str, Any]:
    """The quote went to the client (Steward records it; the document goes as the tenant sends
    it): it needs a validity date still to come, since the follow-ups run until it."""
    quote = get(scope, ref)
    until = valid_until or quote["valid_until"]
    if until is None:
        raise QuoteError(f"quote {quote['quote_number']} has no expiry date: give one with "
                         "--valid-until YYYY-MM-DD")
    if until < local_today(scope, now):
        raise QuoteError(f"quote {quote['quote_number']} was valid until {until}, which has "
                         "passed: give a new date with --valid-until YYYY-MM-DD")
    return move(scope, quote, "sent", by, now, valid_until=until)


def reject(scope: TenantScope, quote: dict[str, Any], reason_code: str | None, by: str,
           now: datetime, note: str | None = None, **why: Any) -> dict[str, Any]:
    """Lost, with a code of the tenant's list (None only for a client's words naming none)."""
    codes = scope.tenant.settings.quote_reasons
    if reason_code is not None and reason_code not in codes:
        raise QuoteError(f"unknown reason {reason_code!r}: use one of {', '.join(codes)}")
    return move(scope, quote, "rejected", by, now, reason_code=reason_code, outcome_reason=note,
                **why)


def expire(scope: TenantScope, quote: dict[str, Any], by: str, now: datetime,
           detail: str) -> dict[str, Any]:
    code = UNANSWERED if UNANSWERED in scope.tenant.settings.quote_reasons else None
    return move(scope, quote, "expired", by, now, detail=detail, reason_code=code,
                outcome_reason=detail)


def expire_many(scope: TenantScope, lapsed: list[tuple[dict[str, Any], str]], by: str,
                now: datetime) -> list[dict[str, Any]]:
    """`expire` for many quotes, each with its detail (a tenant's first cycle finds every quote
    that ever lapsed): a compare-and-set per status seen, a batch of reasons, a batch of log
    rows. Returns the quotes expired, as they are now; one moved meanwhile is left out."""
    code = UNANSWERED if UNANSWERED in scope.tenant.settings.quote_reasons else None
    values = {"status": "expired", "updated_at": now, "decided_at": now, "reason_code": code,
              "next_follow_up_at": None, "needs_attention": None}
    moved: set[int] = set()
    for before in OPEN:
        moved |= store.move(scope, [q["id"] for q, _ in lapsed if q["status"] == before], before,
                            values)
    done = [(q, detail) for q, detail in lapsed if q["id"] in moved]
    store.update_many(scope, [{"id": q["id"], "outcome_reason": d} for q, d in done])
    store.log(scope, [{"quote_id": q["id"], "activity": "expired", "from_status": q["status"],
                       "to_status": "expired", "detail": d} for q, d in done], by, now)
    return [{**q, **values, "outcome_reason": d} for q, d in done]


def move(
    scope: TenantScope, quote: dict[str, Any], to: str, by: str, now: datetime, *,
    detail: str | None = None, evidence: str | None = None, message_id: int | None = None,
    **columns: Any,
) -> dict[str, Any]:
    """Change the quote's status to `to` (setting `columns` too) and log it; returns the quote
    as it is now. Raises QuoteError for an illegal move or when someone moved it first."""
    before, number = quote["status"], quote["quote_number"]
    if to not in MOVES:
        raise QuoteError(f"unknown quote status {to!r}: one of {', '.join(STATUSES)}")
    if before not in MOVES[to]:
        raise QuoteError(f"quote {number} is {before}: it cannot become {to} (only a "
                         f"{' or '.join(MOVES[to])} quote can)")
    values = {"status": to, "updated_at": now, **columns}
    if to in DECIDED:
        values.update(decided_at=now, next_follow_up_at=None, needs_attention=None)
    else:
        values[STAMPS[to]] = now
    if not store.move(scope, [quote["id"]], before, values):
        raise QuoteError(f"quote {number} changed while moving it to {to}; try again")
    _log(scope, quote["id"], to, before, to, by, now, detail, evidence, message_id)
    return {**quote, **values}


def note(scope: TenantScope, quote_id: int, activity: str, by: str, now: datetime,
         detail: str | None = None, evidence: str | None = None,
         message_id: int | None = None) -> None:
    """An event in the quote's life that leaves its status as it is."""
    _log(scope, quote_id, activity, None, None, by, now, detail, evidence, message_id)


def note_many(scope: TenantScope, notes: list[dict[str, Any]], by: str, now: datetime) -> None:
    """Many such events at once (an hour's follow-ups), each with its quote_id, activity and
    detail."""
    store.log(scope, notes, by, now)


def attention(scope: TenantScope, quote: dict[str, Any], why: str | None, now: datetime,
              by: str = "steward") -> None:
    """Mark (or, with None, clear) why the quote needs a person; logged when it changes."""
    attention_many(scope, [(quote, why)], now, by)


def attention_many(scope: TenantScope, marks: list[tuple[dict[str, Any], str | None]],
                   now: datetime, by: str = "steward") -> None:
    """`attention` for many quotes at once (an hour's ended follow-ups), in two statements."""
    marks = [(quote, why) for quote, why in marks if quote["needs_attention"] != why]
    if not marks:
        return
    store.update_many(scope, [{"id": quote["id"], "needs_attention": why, "updated_at": now}
                              for quote, why in marks])
    for quote, why in marks:
        quote["needs_attention"] = why
    note_many(scope, [{"quote_id": quote["id"], "detail": why,
                       "activity": "needs_attention" if why else "attention_cleared"}
                      for quote, why in marks], by, now)


def _log(scope: TenantScope, quote_id: int, activity: str, before: str | None,
         after: str | None, by: str, now: datetime, detail: str | None = None,
         evidence: str | None = None, message_id: int | None = None) -> None:
    store.log(scope, [{"quote_id": quote_id, "activity": activity, "from_status": before,
                       "to_status": after, "detail": detail, "evidence": evidence,
                       "message_id": message_id}], by, now)


def local_today(scope: TenantScope, now: datetime) -> date:
    """The tenant's date at `now`: a quote valid until a date is valid all that local day."""
    return now.astimezone(ZoneInfo(scope.tenant.timezone)).date()


def listing(scope: TenantScope, status: str | None, attention_only: bool,
            limit: int) -> list[dict[str, Any]]:
    where = [quotes.c.status == status] if status else []
    if attention_only:
        where.append(quotes.c.needs_attention.is_not(None))
    return store.with_contacts(scope, sa.and_(*where) if where else None,
                               order=quotes.c.id.desc(), limit=limit)


def activities(scope: TenantScope, quote_id: int) -> list[dict[str, Any]]:
    return store.activities(scope, quote_id)
