"""The quotes engine over five weeks of simulated cycles (five a day, New York time, across the end
of DST, Veterans Day and Thanksgiving), on both databases, with the clients' answers arriving as
real mail through ingest: sent quotes are followed up every 3 business days, escalate after two,
stop at four and are marked for a person; an acceptance, a rejection and an unclear answer are
read with their evidence (the unclear one becomes a human task); a quote past its validity
expires; a reply between plan and dispatch stops the step at dispatch; quotes without expiry,
contact, address, or with a suppressed address are marked and never mailed; a rerun of an hour
sends nothing twice; and a follow-up no cycle got to is reported late."""

from __future__ import annotations

import mailbox
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from zlib import crc32

import pytest

from resources.database import Database
from resources.store import schema
from resources.store.tenants import add_tenant, get_tenant, update_tenant
from services import quotes as lifecycle
from services.cadence.quotes import late_follow_ups
from services.inbox.ingest import ingest_tenant
from tests.helpers import rows
from tests.test_cadence_deals import NY, START, Cycles, hours, local

OUR = "office@acme.example"
NAMES = ("ann", "bob", "cy", "dee", "eve", "fay", "hal", "ivy", "jo", "kim")


@pytest.fixture
def acme(db: Database, tmp_path: Path, steward_env: Path) -> Database:
    add_tenant(db, "acme", timezone="America/New_York")
    update_tenant(db, "acme", settings_patch={
        "holidays": {"country": "US"}, "own_addresses": ["acme.example"],
        "mailbox": f"maildir://{tmp_path / 'Maildir'}", "thresholds": {"engagement_days": 90}})
    quiet = START - timedelta(days=10)
    with db.for_tenant("acme") as scope:
        scope.insert(schema.accounts, {"name": "Client Co", "credit_limit": 1000})
        account = scope.scalar(scope.select(schema.accounts.c.id))
        scope.insert(schema.contacts, [
            {"email": f"{name}@client.example", "first_name": name.title(),
             "account_id": account, "last_touch_at": quiet} for name in NAMES
        ] + [{"email": None, "first_name": "Nomail", "full_name": "No Mail"}])
        scope.insert(schema.suppressions, {"email": "jo@client.example", "reason": "unsubscribe"})
        who = {r["first_name"]: r["id"] for r in scope.execute(
            scope.select(schema.contacts)).mappings()}
        sent = START + timedelta(hours=2)
        ann = lifecycle.create(scope, "ann@client.example", 1250, "cli:pat", sent,
                               valid_until=date(2026, 12, 31), number="Q-1001")
        lifecycle.send(scope, ann["id"], "cli:pat", sent)
        scope.insert(schema.quotes, [
            quote("Q-1002", who["Bob"], sent),
            quote("Q-1003", who["Cy"], sent, status="viewed", viewed_at=sent + timedelta(days=1)),
            quote("Q-1004", who["Dee"], sent),
            quote("Q-1005", who["Eve"], None, status="draft"),
            quote("Q-1006", who["Fay"], sent, valid_until=date(2026, 11, 6)),
            quote("Q-1007", who["Hal"], sent),
            quote("Q-1008", who["Ivy"], sent, valid_until=None, follow_up_count=1,
                  next_follow_up_at=START),
            quote("Q-1009", None, sent),
            quote("Q-1010", who["Nomail"], sent),
            quote("Q-1011", who["Jo"], sent),
            quote("Q-1012", who["Kim"], None, status="draft"),
        ])
    return db


def quote(number: str, contact: int | None, sent: datetime | None, **columns) -> dict:
    """A quote as an importer loads it: sent at `sent`, valid until the end of the year."""
    return {"quote_number": number, "contact_id": contact, "status": "sent", "amount": 900,
            "sent_at": sent, "valid_until": date(2026, 12, 31), "created_at": START, **columns}


def mail(db: Database, tmp_path: Path, cycles: Cycles, sender: str, subject: str, body: str,
         at: datetime) -> None:
    """A client's message delivered to the tenant's Maildir and ingested at `at`."""
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, OUR, subject
    msg["Date"] = format_datetime(at.astimezone(UTC))
    msg["Message-ID"] = f"<{crc32(f'{sender}{subject}{at}'.encode())}@client.example>"
    msg.set_content(body)
    mailbox.Maildir(tmp_path / "Maildir").add(msg)
    ingest_tenant(db, cycles.clients.mailboxes, cycles.clients.alerts, get_tenant(db, "acme"),
                  at.astimezone(UTC))


def follow_ups(db: Database, address: str) -> list[dict]:
    return sorted((r for r in rows(db, schema.outbox) if r["target"] == address
                   and r["idempotency_key"].startswith("quote_follow_up:")),
                  key=lambda r: r["created_at"])


def days(outbox_rows: list[dict]) -> list[str]:
    return [r["sent_at"].astimezone(NY).date().isoformat() for r in outbox_rows
            if r["status"] == "dry_run"]


def by_number(db: Database) -> dict[str, dict]:
    return {q["quote_number"]: q for q in rows(db, schema.quotes)}


def activities(db: Database, number: str) -> list[dict]:
    quote_id = by_number(db)[number]["id"]
    return [a for a in rows(db, schema.quote_activities) if a["quote_id"] == quote_id]


def test_five_weeks_of_cycles_follow_quotes_up_until_the_client_decides(
    acme: Database, tmp_path: Path
) -> None:
    cycles = Cycles(acme, tmp_path)
    hal = next(q for q in rows(acme, schema.quotes) if q["quote_number"] == "Q-1007")
    answers = {  # local time the mail arrives: (sender, subject, body)
        local(2026, 11, 3, 10): ("bob@client.example", "Re: Quote Q-1002: any questions?",
                                 "We accept the quote, please schedule the inspection.\n\n"
                                 "On Mon, Nov 2, 2026 Acme wrote:\n> Do you have any questions?"),
        local(2026, 11, 3, 11): ("cy@client.example", "Re: Quote Q-1003: any questions?",
                                 "On Mon, Nov 2, 2026 at 9:05 AM Acme <office@acme.example> "
                                 "wrote:\n> Do you have any questions about it?"),
        local(2026, 11, 4, 11): ("cy@client.example", "Re: Quote Q-1003",
                                 "Thanks for the quote, but we went with another firm."),
        local(2026, 11, 4, 12): ("dee@client.example", "Re: Quote Q-1004",
                                 "Is there any flexibility on the price? Can you do it for less?"),
        local(2026, 11, 5, 12): ("jo@client.example", "Re: Quote Q-1011",
                                 "Could you do it for less?"),
    }

    def hal_replies() -> None:  # after the plan of Monday 2 November 9:00, before its dispatch
        with acme.for_tenant("acme") as scope:
            scope.insert(schema.touches, {
                "contact_id": hal["contact_id"],
                "occurred_at": local(2026, 11, 2, 9, 2).astimezone(UTC),
                "touch_type": "email_in", "by_whom": "contact:hal@client.example",
                "source_key": "msg:hal-reply"})

    for hour in hours(local(2026, 12, 4)):
        if hour == local(2026, 11, 16, 9).astimezone(UTC):  # the Monday before Thanksgiving
            with acme.for_tenant("acme") as scope:
                lifecycle.send(scope, "Q-1005", "cli:pat", hour)
        for at, (sender, subject, body) in answers.items():
            if hour - timedelta(hours=4) < at <= hour:
                mail(acme, tmp_path, cycles, sender, subject, body, at)
        cycles.at(hour, hal_replies if hour == local(2026, 11, 2, 9).astimezone(UTC) else None)

    quotes = by_number(acme)
    ann = follow_ups(acme, "ann@client.example")
    # Every 3 business days after the quote went out on 28 October; Veterans Day is not one.
    assert days(ann) == ["2026-11-02", "2026-11-05", "2026-11-10", "2026-11-16"]
    assert {r["sent_at"].astimezone(NY).hour for r in ann} == {9}  # EDT or EST, the same hour
    assert [r["payload"]["subject"] for r in ann] == [
        "Quote Q-1001: any questions?", "Quote Q-1001: any questions?",
        "Quote Q-1001: still of interest?", "Quote Q-1001: last note before it expires"]
    assert [r["priority"] for r in ann] == [50, 50, 60, 70]
    assert "December 31, 2026" in ann[0]["payload"]["text"]
    assert quotes["Q-1001"]["follow_up_count"] == 4
    assert quotes["Q-1001"]["needs_attention"] == "no decision after all 4 follow-ups"
    assert [a["activity"] for a in activities(acme, "Q-1001")] == [
        "created", "sent", *["follow_up"] * 4, "follow_ups_done", "needs_attention"]
    # Sent on the Monday before Thanksgiving: the third follow-up skips the holiday.
    assert days(follow_ups(acme, "eve@client.example")) == [
        "2026-11-19", "2026-11-24", "2026-11-30", "2026-12-03"]

    bob = quotes["Q-1002"]
    assert bob["status"] == "accepted" and days(follow_ups(acme, "bob@client.example")) == [
        "2026-11-02"]
    accepted = activities(acme, "Q-1002")[-1]
    assert (accepted["activity"], accepted["from_status"], accepted["by_whom"]) == (
        "accepted", "sent", "client:bob@client.example")
    assert accepted["evidence"] == "We accept the quote, please schedule the inspection."
    assert accepted["message_id"] is not None
    cy = quotes["Q-1003"]
    assert (cy["status"], cy["reason_code"]) == ("rejected", "competitor")
    assert "another firm" in cy["outcome_reason"]
    assert activities(acme, "Q-1003")[-1]["evidence"] == (
        "Thanks for the quote, but we went with another firm.")
    empty = next(a for a in activities(acme, "Q-1003") if a["activity"] == "response_empty")
    assert empty["detail"] == "the reply holds nothing but quoted text: nothing to decide"
    assert cy["needs_attention"] is None  # the decision answered what the empty reply left open

    dee = quotes["Q-1004"]
    assert dee["status"] == "sent"
    assert dee["needs_attention"].startswith("the client's answer needs a person: unclear by "
                                             "negotiation")
    unclear = next(a for a in activities(acme, "Q-1004") if a["activity"] == "response_unclear")
    assert "flexibility on the price" in unclear["evidence"]
    tasks = {t["title"].split()[5]: t for t in rows(acme, schema.tasks) if t["kind"] == "human"}
    assert set(tasks) == {"Q-1004", "Q-1011"}  # "Client asked: answer to quote Q-1004 ..."
    assert tasks["Q-1004"]["context"]["basis"] == "client_request"

    metrics = {aware_local(r["cycle_hour"]): r["metrics"] for r in rows(acme, schema.agent_runs)}
    assert metrics[local(2026, 11, 3, 13)]["cadence_quotes_answers_accepted"] == 1
    assert metrics[local(2026, 11, 4, 13)]["cadence_quotes_answers_unclear"] == 1

    fay = quotes["Q-1006"]
    assert (fay["status"], fay["reason_code"]) == ("expired", "no_response")
    assert aware_local(fay["decided_at"]) == local(2026, 11, 7, 7)
    assert days(follow_ups(acme, "fay@client.example")) == ["2026-11-02", "2026-11-05"]
    assert metrics[local(2026, 11, 7, 7)]["cadence_quotes_expired"] == 1

    (stopped,) = follow_ups(acme, "hal@client.example")
    assert stopped["status"] == "blocked"
    assert "stopped before sending: reply from the contact" in stopped["last_error"]
    assert quotes["Q-1007"]["needs_attention"].startswith(
        "follow-ups stopped without a decision: reply from the contact")

    assert "no expiry date" in quotes["Q-1008"]["needs_attention"]
    assert quotes["Q-1008"]["next_follow_up_at"] is None  # the imported plan: none is coming
    assert "no contact on the quote" in quotes["Q-1009"]["needs_attention"]
    assert "the contact has no address" in quotes["Q-1010"]["needs_attention"]
    # Jo's address is suppressed, and Jo's answer waits for a person: that mark stays.
    assert "jo@client.example is suppressed (unsubscribe)" in [
        a["detail"] for a in activities(acme, "Q-1011")][0]
    assert quotes["Q-1011"]["needs_attention"].startswith("the client's answer needs a person")
    assert quotes["Q-1012"]["needs_attention"] is None
    mailed = {r["target"] for r in rows(acme, schema.outbox) if r["kind"] == "follow_up"}
    assert mailed == {f"{n}@client.example" for n in ("ann", "bob", "cy", "dee", "eve", "fay",
                                                      "hal")}
    keys = [r["idempotency_key"] for r in rows(acme, schema.outbox)]
    assert len(keys) == len(set(keys))
    with acme.for_tenant("acme") as scope:
        assert late_follow_ups(scope, local(2026, 12, 4, 21).astimezone(UTC)) == []


def aware_local(value: datetime) -> datetime:
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(NY)


def test_a_rerun_of_an_hour_sends_nothing_twice(acme: Database, tmp_path: Path) -> None:
    cycles = Cycles(acme, tmp_path)
    first = local(2026, 11, 2, 9).astimezone(UTC)
    cycles.at(local(2026, 10, 30, 9).astimezone(UTC))
    cycles.at(first)
    cycles.at(first, run="rerun")  # the same hour again, as a Dagster re-execution does
    assert len(follow_ups(acme, "ann@client.example")) == 1
    assert [a["activity"] for a in activities(acme, "Q-1001")].count("follow_up") == 1
    cycles.at(local(2026, 11, 2, 13).astimezone(UTC))
    (ann,) = [e for e in rows(acme, schema.cadence_enrollments)
              if e["address"] == "ann@client.example"]
    assert (ann["steps_planned"], ann["waiting"]) == (1, "step 2 due 2026-11-05 08:00 EST")
    assert aware_local(by_number(acme)["Q-1001"]["next_follow_up_at"]) == local(2026, 11, 5, 8)
    (run,) = [r for r in rows(acme, schema.agent_runs)
              if aware_local(r["cycle_hour"]) == local(2026, 11, 2, 9)]
    assert run["metrics"]["cadence_quotes_proposed"] == 6  # Ann, Bob, Cy, Dee, Fay, Hal


def test_a_follow_up_no_cycle_got_to_is_reported_late(acme: Database, tmp_path: Path) -> None:
    cycles = Cycles(acme, tmp_path)
    cycles.at(local(2026, 11, 2, 7).astimezone(UTC))  # the last cycle before the outage
    with acme.for_tenant("acme") as scope:
        assert late_follow_ups(scope, local(2026, 11, 3, 7).astimezone(UTC)) == []
        late = late_follow_ups(scope, local(2026, 11, 3, 9).astimezone(UTC))
    assert sorted(q["quote_number"] for q in late) == [
        "Q-1001", "Q-1002", "Q-1003", "Q-1004", "Q-1006", "Q-1007"]
    assert {(q["step"], q["hours_late"], q["why"]) for q in late} == {(1, 25, "not planned yet")}
