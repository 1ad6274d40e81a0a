"""`steward feedback list|show`: what each delivered order's client was asked and what they said.

The feedback engine writes these rows every cycle (services/cadence/feedback.py): `list` shows
where each order stands (scheduled with its due date, requested, skipped with the reason, or
answered with the sentiment, score and rating), `show` one order's whole story: the request and
what became of it, the reply and the words the score comes from, the case it opened. They only
read.
"""

from __future__ import annotations

from typing import Any

import typer

from pipelines.cli.common import CliError, out, ready_database, utc_minute
from resources.store import cadences
from resources.store import feedback as store
from services.cadence.feedback import NAME, request_key

app = typer.Typer(no_args_is_help=True, help="Feedback on delivered orders: list, show.")

STATUSES = ("scheduled", "requested", "skipped", "answered")
SENTIMENTS = ("positive", "neutral", "negative")


@app.command("list")
def list_feedback(
    tenant: str = typer.Option(..., "--tenant"),
    status: str = typer.Option(None, "--status", help=", ".join(STATUSES)),
    sentiment: str = typer.Option(None, "--sentiment", help=", ".join(SENTIMENTS)),
    limit: int = typer.Option(100, "--limit"),
) -> None:
    """The newest feedback rows first, one tab-separated line each: `note` is why none was
    asked (skipped), or the words the score comes from (answered)."""
    if status and status not in STATUSES:
        raise CliError(f"unknown status {status!r}: choose one of {', '.join(STATUSES)}")
    if sentiment and sentiment not in SENTIMENTS:
        raise CliError(f"unknown sentiment {sentiment!r}: choose one of {', '.join(SENTIMENTS)}")
    with ready_database().for_tenant(tenant) as scope:
        rows = store.listing(scope, status, sentiment, limit)
    print("\t".join(("id", "order", "contact", "status", "due", "requested", "answered",
                     "sentiment", "score", "rating", "case", "note")))
    for r in rows:
        print("\t".join((
            str(r["id"]), r["order_number"] or "-", r["email"] or "-", r["status"],
            utc_minute(r["due_at"]), utc_minute(r["requested_at"]), utc_minute(r["answered_at"]),
            r["sentiment"] or "-", "-" if r["score"] is None else f"{r['score']:+.2f}",
            r["rating"] or "-", str(r["case_id"] or "-"), _note(r),
        )))
    if not rows:
        out.print(f"{tenant}: no feedback rows", highlight=False)


@app.command("show")
def show(
    feedback_id: int = typer.Argument(..., metavar="ID"),
    tenant: str = typer.Option(..., "--tenant"),
) -> None:
    """One order's feedback: the request and what became of it, the reply, the score's
    evidence, and the case it opened."""
    with ready_database().for_tenant(tenant) as scope:
        row = store.get(scope, feedback_id)
        if row is None:
            raise CliError(f"no feedback {feedback_id} for tenant {tenant} "
                           "(see `steward feedback list`)")
        rounds = cadences.history(scope, NAME, row["order_id"]) if row["order_id"] else []
        sent = store.sent_messages(scope, [request_key(row["order_id"])]) \
            if row["order_id"] else {}
        reply = store.message(scope, row["reply_message_id"]) if row["reply_message_id"] \
            else None
    fields = {
        "order": row["order_number"], "delivered": utc_minute(row["delivered_at"]),
        "contact": row["email"], "status": row["status"], "due": utc_minute(row["due_at"]),
        "skipped": row["skip_reason"],
    }
    for name, value in fields.items():
        if value:
            out.print(f"{name}: {value}", highlight=False)
    for r in rounds:
        for s in r["steps"]:
            out.print(f"request planned {utc_minute(s['planned_at'])}: "
                      f"{s['outcome'] or s['pending']}", highlight=False)
        if r["status"] != "completed" and (r["end_reason"] or r["waiting"]):
            out.print(f"request {r['status']}: {r['end_reason'] or r['waiting']}",
                      highlight=False)
    for request in sent.values():
        out.print(f"request sent {utc_minute(request['sent_at'])} as <{request['message_id']}>",
                  highlight=False)
    if reply:
        out.print(f"reply {reply['id']} from {reply['from_addr']} at "
                  f"{utc_minute(reply['sent_at'])}: {reply['subject'] or '-'}", highlight=False)
    if row["status"] == "answered":
        source = f"the rating {row['rating']}" if row["method"] == "rating" else "VADER"
        out.print(f"answer: {row['sentiment']} at {utc_minute(row['answered_at'])}, score "
                  f"{row['score']:+.2f} from {source}", highlight=False)
    if row["evidence"]:
        out.print(f"evidence: {row['evidence']}", highlight=False)
    if row["case_id"]:
        out.print(f"case: {row['case_id']} (see `steward case show {row['case_id']} --tenant "
                  f"{tenant}`)", highlight=False)


def _note(row: dict[str, Any]) -> str:
    return " ".join((row["skip_reason"] or row["evidence"] or "-").split())[:160]
