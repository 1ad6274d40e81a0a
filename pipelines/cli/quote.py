"""`steward quote create|send|view|accept|reject|expire|list|show`: a quote's life by hand.

The hourly quotes engine follows sent quotes up, reads the clients' answers and expires quotes
past their validity; these commands are a person's side of the same lifecycle
(services/quotes.py): record that a quote went out or was viewed, decide it (a rejection with a
reason code from the tenant's list, `quote_reasons`), and read a quote's whole story: every
activity with who and the evidence, and where its follow-ups stand. A quote is named by its id
or its number (Q-2001). Who acted comes from STEWARD_ACTOR.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import typer

from pipelines.cli.common import CliError, actor, out, ready_database, utc_minute
from resources.store import cadences
from services import quotes as lifecycle
from services.cadence.quotes import NAME

app = typer.Typer(
    no_args_is_help=True,
    help="Quotes: create, send, view, accept, reject, expire, list, show.",
)
QUOTE = typer.Argument(..., metavar="QUOTE", help="The quote's id or number (Q-2001).")
NOTE = typer.Option(None, "--note", help="Free text kept with the decision.")


@app.command("create")
def create(
    tenant: str = typer.Option(..., "--tenant"),
    contact: str = typer.Option(..., "--contact", help="The contact's address."),
    amount: str = typer.Option(..., "--amount", help="The quoted amount, e.g. 1250.00."),
    valid_until: str = typer.Option(None, "--valid-until", help="YYYY-MM-DD (needed to send)."),
    number: str = typer.Option(None, "--number", help="Default: the next Q-number."),
    deal: int = typer.Option(None, "--deal", help="The deal it belongs to (id)."),
) -> None:
    """A draft quote for a known contact; last line: its number and id."""
    try:
        value = Decimal(amount)
    except InvalidOperation:
        raise CliError(f"--amount takes a number such as 1250.00, got {amount!r}") from None
    with ready_database().for_tenant(tenant) as scope:
        quote = lifecycle.create(scope, contact, value, actor(), datetime.now(UTC),
                                 valid_until=_date(valid_until), number=number, deal_id=deal)
    print(f"quote {quote['quote_number']} (id {quote['id']}) created as draft for "
          f"{quote['email']}: {value:.2f}, valid until {quote['valid_until'] or '-'}")


@app.command("send")
def send(
    quote: str = QUOTE,
    tenant: str = typer.Option(..., "--tenant"),
    valid_until: str = typer.Option(None, "--valid-until", help="YYYY-MM-DD: a new expiry."),
) -> None:
    """Record that the draft went to the client; its follow-ups count from now."""
    with ready_database().for_tenant(tenant) as scope:
        moved = lifecycle.send(scope, quote, actor(), datetime.now(UTC), _date(valid_until))
    print(f"quote {moved['quote_number']}: draft -> sent, valid until {moved['valid_until']}")


@app.command("view")
def view(quote: str = QUOTE, tenant: str = typer.Option(..., "--tenant")) -> None:
    """Record that the client opened the quote."""
    _move(tenant, quote, "viewed")


@app.command("accept")
def accept(quote: str = QUOTE, tenant: str = typer.Option(..., "--tenant"),
           note: str = NOTE) -> None:
    """The client accepted: the quote is won and its follow-ups stop."""
    _move(tenant, quote, "accepted", detail=note, outcome_reason=note)


@app.command("reject")
def reject(
    quote: str = QUOTE,
    tenant: str = typer.Option(..., "--tenant"),
    reason: str = typer.Option(..., "--reason", help="A code of the tenant's quote_reasons."),
    note: str = NOTE,
) -> None:
    """The client declined: the quote is lost, with the reason code and an optional note."""
    with ready_database().for_tenant(tenant) as scope:
        found = lifecycle.get(scope, quote)
        lifecycle.reject(scope, found, reason, actor(), datetime.now(UTC), note, detail=note)
    print(f"quote {found['quote_number']}: {found['status']} -> rejected ({reason})")


@app.command("expire")
def expire(quote: str = QUOTE, tenant: str = typer.Option(..., "--tenant"),
           note: str = NOTE) -> None:
    """End the quote's validity now, unanswered (the engine does it once valid_until passed)."""
    with ready_database().for_tenant(tenant) as scope:
        found = lifecycle.get(scope, quote)
        lifecycle.expire(scope, found, actor(), datetime.now(UTC), note or "expired by hand")
    print(f"quote {found['quote_number']}: {found['status']} -> expired")


def _move(tenant: str, quote: str, to: str, **why: Any) -> None:
    with ready_database().for_tenant(tenant) as scope:
        found = lifecycle.get(scope, quote)
        lifecycle.move(scope, found, to, actor(), datetime.now(UTC), **why)
    print(f"quote {found['quote_number']}: {found['status']} -> {to}")


@app.command("list")
def list_quotes(
    tenant: str = typer.Option(..., "--tenant"),
    status: str = typer.Option(None, "--status", help=", ".join(lifecycle.STATUSES)),
    attention: bool = typer.Option(False, "--attention", help="Only quotes needing a person."),
    limit: int = typer.Option(100, "--limit"),
) -> None:
    """The newest quotes first, one tab-separated line each."""
    if status and status not in lifecycle.STATUSES:
        raise CliError(f"unknown status {status!r}: choose one of "
                       f"{', '.join(lifecycle.STATUSES)}")
    with ready_database().for_tenant(tenant) as scope:
        rows = lifecycle.listing(scope, status, attention, limit)
    print("\t".join(("id", "number", "status", "contact", "amount", "sent", "valid_until",
                     "follow_ups", "next_follow_up", "reason", "needs_attention")))
    for r in rows:
        print("\t".join((
            str(r["id"]), r["quote_number"], r["status"], r["email"] or "-",
            f"{r['amount']:.2f}", utc_minute(r["sent_at"]), str(r["valid_until"] or "-"),
            str(r["follow_up_count"]), utc_minute(r["next_follow_up_at"]),
            r["reason_code"] or "-", r["needs_attention"] or "-",
        )))


@app.command("show")
def show(quote: str = QUOTE, tenant: str = typer.Option(..., "--tenant")) -> None:
    """The quote, every activity with who and the evidence, and its follow-ups step by step."""
    with ready_database().for_tenant(tenant) as scope:
        found = lifecycle.get(scope, quote)
        log = lifecycle.activities(scope, found["id"])
        rounds = cadences.history(scope, NAME, found["id"])
    reason = " ".join(v for v in (found["reason_code"], found["outcome_reason"]) if v)
    fields = {
        "number": found["quote_number"], "id": found["id"], "status": found["status"],
        "contact": found["email"], "amount": f"{found['amount']:.2f}",
        "valid until": found["valid_until"], "sent": found["sent_at"],
        "viewed": found["viewed_at"], "decided": found["decided_at"], "reason": reason,
        "follow-ups": found["follow_up_count"], "next follow-up": found["next_follow_up_at"],
        "needs attention": found["needs_attention"],
    }
    for name, value in fields.items():
        if value not in (None, ""):
            shown = utc_minute(value) if isinstance(value, datetime) else value
            out.print(f"{name}: {shown}", highlight=False)
    for a in log:
        move = f" ({a['from_status']} -> {a['to_status']})" if a["from_status"] else (
            f" (as {a['to_status']})" if a["to_status"] else "")
        line = f"activity {utc_minute(a['at'])} {a['activity']}{move} by {a['by_whom']}"
        line += f": {a['detail']}" if a["detail"] else ""
        line += f"; evidence: '{a['evidence']}'" if a["evidence"] else ""
        line += f" (message {a['message_id']})" if a["message_id"] else ""
        out.print(line, highlight=False)
    if not rounds:
        out.print("follow-ups: not enrolled", highlight=False)
    for r in rounds:
        now = r["end_reason"] or r["waiting"] or f"step {r['steps_planned']} on its way"
        out.print(f"follow-ups: {r['status']} (counted from {utc_minute(r['started_at'])}), "
                  f"{r['steps_planned']} step(s): {now}", highlight=False)
        for s in r["steps"]:
            out.print(f"  step {s['step']} planned {utc_minute(s['planned_at'])}: "
                      f"{s['outcome'] or s['pending']}", highlight=False)


def _date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CliError(f"--valid-until takes a date YYYY-MM-DD, got {value!r}") from None
