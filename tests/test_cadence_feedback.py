"""The feedback engine over three weeks of simulated cycles (five a day, New York time, across
Thanksgiving), on both databases, with the clients' answers arriving as real mail through ingest:
each delivered order is asked once, seven days after delivery, at the first cycle the send window
allows; orders with an open case (their own or their account's), a suppressed or missing address,
a delivery dated in the future, or a request more than two weeks late are skipped with the
reason; replies are scored on the client's own words only (a reply that only quotes our request
is not scored); negative feedback opens a service-recovery case with a person's task through the
gate and an alert; positive feedback asks for a review or a referral only where the tenant turned
it on; a rerun or a backfill of the hours sends nothing twice; a case opened between plan and
dispatch stops the request."""

from __future__ import annotations

import email
import mailbox
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from zlib import crc32

import pytest

from pipelines.demo import DemoSize, generate_demo
from resources.database import Database
from resources.database.clock import aware
from resources.mailer import Mailer
from resources.store import schema
from resources.store.tenants import add_tenant, get_tenant, update_tenant
from services.cadence.feedback import feedback_gaps, request_key
from services.cases import open_case
from services.cycle.phases import Cycle, act_phase, plan_phase, react_phase
from services.cycle.reflect import reflect_phase
from services.inbox.ingest import ingest_tenant
from tests.helpers import clients, rows
from tests.test_cadence_deals import NY, Cycles, hours, local

OUR = "office@acme.example"
START = local(2026, 11, 16, 7)  # a Monday; Thanksgiving is on the 26th
NAMES = ("ann", "bob", "cy", "dee", "eve", "fay", "gus", "hal", "ivy")


@pytest.fixture
def acme(db: Database, tmp_path: Path, steward_env: Path) -> Database:
    add_tenant(db, "acme", timezone="America/New_York")
    update_tenant(db, "acme", settings_patch={
        "holidays": {"country": "US"}, "own_addresses": ["acme.example"], "from_address": OUR,
        "alert_email": "owner@acme.example", "mailbox": f"maildir://{tmp_path / 'Maildir'}",
        "thresholds": {"engagement_days": 90},
        "feedback": {"review_url": "https://reviews.example/acme"}})
    # (stored in UTC: SQLite keeps a datetime's wall time and drops its zone)
    quiet = (START - timedelta(days=10)).astimezone(UTC)  # no engagement check-in this month
    with db.for_tenant("acme") as scope:
        scope.insert(schema.accounts, [{"name": f"{n.title()} Co", "credit_limit": 1000}
                                       for n in NAMES])
        accounts = {r["name"]: r["id"] for r in scope.execute(
            scope.select(schema.accounts)).mappings()}
        scope.insert(schema.contacts, [
            {"email": f"{n}@client.example", "first_name": n.title(),
             "account_id": accounts[f"{n.title()} Co"], "last_touch_at": quiet} for n in NAMES
        ] + [{"email": None, "first_name": "Nomail", "full_name": "No Mail"}])
        scope.insert(schema.suppressions, {"email": "dee@client.example", "reason": "unsubscribe"})
        who = {r["first_name"]: r for r in scope.execute(scope.select(schema.contacts)).mappings()}
        scope.insert(schema.orders, [
            order("ORD-1001", who["Ann"], local(2026, 11, 10, 10)),
            order("ORD-1002", who["Bob"], local(2026, 11, 9, 16)),
            order("ORD-1003", who["Cy"], local(2026, 11, 9, 12)),
            order("ORD-1004", who["Eve"], local(2026, 11, 9, 12)),
            order("ORD-1005", who["Dee"], local(2026, 11, 9, 12)),
            order("ORD-1006", who["Nomail"], local(2026, 11, 9, 12)),
            order("ORD-1007", who["Gus"], local(2027, 2, 1, 12)),
            order("ORD-1008", who["Fay"], local(2026, 11, 19, 10)),
            order("ORD-1009", who["Hal"], local(2026, 11, 12, 9)),
            order("ORD-1010", who["Ivy"], local(2026, 11, 1, 15)),
            order("ORD-1011", who["Ivy"], local(2026, 11, 30, 11)),
            order("ORD-1012", who["Ivy"], None, status="in_progress"),
            order("ORD-1013", who["Ivy"], local(2026, 10, 1, 12)),
        ])
        numbers = {r["order_number"]: r["id"] for r in scope.execute(
            scope.select(schema.orders)).mappings()}
    with db.for_tenant("acme") as scope:
        opened = (START - timedelta(days=3)).astimezone(UTC)
        open_case(scope, opened, title="Billing dispute", detail="invoice 7",
                  source="manual", account_id=accounts["Cy Co"])
        open_case(scope, opened, title="Report corrections",
                  detail="two revisions asked", source="manual", order_id=numbers["ORD-1004"])
    return db


def order(number: str, contact: dict, delivered: datetime | None, status: str = "delivered"
          ) -> dict:
    delivered = delivered.astimezone(UTC) if delivered else None
    return {"order_number": number, "contact_id": contact["id"],
            "account_id": contact["account_id"], "status": status,
            "ordered_at": (delivered or START.astimezone(UTC)) - timedelta(days=5),
            "delivered_at": delivered}


def request_of(db: Database, number: str) -> dict:
    """The outbox row of the order's feedback request."""
    (found,) = [r for r in rows(db, schema.outbox)
                if r["idempotency_key"] == request_key(by_number(db)[number]["id"])]
    return found


def by_number(db: Database) -> dict[str, dict]:
    return {o["order_number"]: o for o in rows(db, schema.orders)}


def feedback_of(db: Database) -> dict[str, dict]:
    numbers = {o["id"]: o["order_number"] for o in rows(db, schema.orders)}
    return {numbers[f["order_id"]]: f for f in rows(db, schema.feedback)}


def reply(db: Database, tmp_path: Path, cycles: Cycles, number: str, body: str, at: datetime,
          answering: bool = True, subject: str | None = None, quoting: bool = True) -> None:
    """The order's client writes (answering our request: In-Reply-To its Message-ID, our text
    quoted under theirs unless `quoting` is off), and the tenant's mailbox is ingested at `at`."""
    contact = next(c for c in rows(db, schema.contacts)
                   if c["id"] == by_number(db)[number]["contact_id"])
    msg = EmailMessage()
    msg["From"], msg["To"] = contact["email"], OUR
    msg["Date"] = format_datetime(at.astimezone(UTC))
    msg["Message-ID"] = f"<{crc32(f'{number}{body}{at}'.encode())}@client.example>"
    if answering:
        ours = request_of(db, number)
        sent = email.message_from_bytes(Path(ours["eml_path"]).read_bytes(), policy=policy.default)
        msg["Subject"] = subject or f"Re: {sent['Subject']}"
        msg["In-Reply-To"] = msg["References"] = ours["provider_ref"]
        quoted = "\n".join(f"> {line}" for line in
                           sent.get_body(("plain",)).get_content().splitlines())
        if quoting:
            body = f"{body}\n\nOn {sent['Date']}, Acme <{OUR}> wrote:\n{quoted}\n"
    else:
        msg["Subject"] = subject or f"Feedback on {number}"
    msg.set_content(body)
    mailbox.Maildir(tmp_path / "Maildir").add(msg)
    ingest_tenant(db, cycles.clients.mailboxes, cycles.clients.alerts, get_tenant(db, "acme"),
                  at.astimezone(UTC))


def answers(db: Database, tmp_path: Path, cycles: Cycles) -> dict[datetime, object]:
    """What the clients write, by the local hour it arrives (before that hour's cycle)."""
    return {
        local(2026, 11, 17, 13): lambda: reply(
            db, tmp_path, cycles, "ORD-1002",
            "5 out of 5. Quick, thorough, and the appraiser was lovely with the homeowner.\n\n"
            "Thanks,\nBob", local(2026, 11, 17, 10, 40)),
        local(2026, 11, 18, 13): lambda: reply(
            db, tmp_path, cycles, "ORD-1001",
            "The report came two days late and nobody returned my calls. Very disappointed.",
            local(2026, 11, 18, 12, 15)),
        local(2026, 11, 19, 17): lambda: reply(db, tmp_path, cycles, "ORD-1009", "",
                                                local(2026, 11, 19, 16, 30)),
        local(2026, 11, 20, 13): lambda: reply(
            db, tmp_path, cycles, "ORD-1009", "9 out of 10, we will use you again.",
            local(2026, 11, 20, 11), answering=False),
        local(2026, 11, 30, 13): lambda: reply(
            db, tmp_path, cycles, "ORD-1008", "3/5 - the report was fine but we had to chase the "
            "status twice.", local(2026, 11, 30, 12)),
    }


def run_weeks(db: Database, tmp_path: Path, until: datetime, run: str = "r") -> Cycles:
    cycles = Cycles(db, tmp_path)
    mail = answers(db, tmp_path, cycles) if run == "r" else {}
    for hour in hours(until, START):
        if hour in {h.astimezone(UTC) for h in mail}:
            mail[next(h for h in mail if h.astimezone(UTC) == hour)]()
        cycles.at(hour, run=run)
    return cycles


def local_day(value: datetime) -> str:
    return aware(value).astimezone(NY).strftime("%Y-%m-%d %H")


def test_three_weeks_ask_each_order_once_and_act_on_the_answers(
    acme: Database, tmp_path: Path
) -> None:
    run_weeks(acme, tmp_path, local(2026, 12, 1))
    sent = {r["target"]: r for r in rows(acme, schema.outbox)
            if r["idempotency_key"].startswith("feedback_request:")}
    # Seven days after delivery, at the first cycle in the send window of a business day:
    # ORD-1010 was already due at the start, ORD-1008 fell due on Thanksgiving.
    assert {target: local_day(r["sent_at"]) for target, r in sent.items()} == {
        "ann@client.example": "2026-11-17 13", "bob@client.example": "2026-11-16 17",
        "hal@client.example": "2026-11-19 09", "fay@client.example": "2026-11-27 09",
        "ivy@client.example": "2026-11-16 09"}
    assert all(r["status"] == "dry_run" and r["payload"]["template"] == "feedback_request"
               for r in sent.values())
    assert sent["ann@client.example"]["payload"]["subject"] == "How did we do on ORD-1001?"

    feedback = feedback_of(acme)
    assert feedback["ORD-1003"]["skip_reason"].startswith("case 1 is open for the account")
    assert feedback["ORD-1004"]["skip_reason"].startswith("case 2 is open for the order")
    assert feedback["ORD-1005"]["skip_reason"] == "dee@client.example is suppressed (unsubscribe)"
    assert feedback["ORD-1006"]["skip_reason"] == "the contact has no email address"
    assert feedback["ORD-1007"]["skip_reason"].startswith("delivered in the future: delivered_at "
                                                       "2027-02-01 17:00 UTC")
    # A tenant's first cycles do not ask about every order it ever delivered.
    assert feedback["ORD-1013"]["skip_reason"] == (
        "too late to ask: the request fell due on 2026-10-08, more than 14 days ago")
    skipped = ("ORD-1003", "ORD-1004", "ORD-1005", "ORD-1006", "ORD-1007", "ORD-1013")
    assert {feedback[n]["status"] for n in skipped} == {"skipped"}
    assert feedback["ORD-1011"]["status"] == "scheduled"
    assert local_day(feedback["ORD-1011"]["due_at"]) == "2026-12-07 11"
    assert "ORD-1012" not in feedback

    ann, bob, hal, fay = (feedback[n] for n in ("ORD-1001", "ORD-1002", "ORD-1009", "ORD-1008"))
    assert (ann["status"], ann["sentiment"], ann["method"]) == ("answered", "negative", "vader")
    assert ann["evidence"] == "The report came two days late and nobody returned my calls."
    assert ann["account_id"] == by_number(acme)["ORD-1001"]["account_id"]
    assert (bob["sentiment"], bob["rating"], bob["method"], bob["score"]) == (
        "positive", "5/5", "rating", 1.0)
    assert bob["evidence"].startswith("5 out of 5.") and "Thanks" not in bob["evidence"]
    # Hal's first reply only quoted our request: noted, not scored; his own note counted.
    assert (hal["sentiment"], hal["rating"]) == ("positive", "9/10")
    assert (fay["sentiment"], fay["rating"]) == ("neutral", "3/5")
    for answered in (ann, bob, hal, fay):  # none of our request's words is ever evidence
        assert "How did we do" not in answered["evidence"]
        assert "put it right" not in answered["evidence"]

    (case,) = [c for c in rows(acme, schema.cases) if c["source"] == "feedback"]
    assert (case["order_id"], case["account_id"], case["owner"], case["status"]) == (
        ann["order_id"], ann["account_id"], "owner@acme.example", "open")
    assert ann["case_id"] == case["id"] and "negative" in case["detail"]
    (task,) = [t for t in rows(acme, schema.tasks) if t["kind"] == "human"]
    assert task["requested_by"] == "safety_escalation"
    assert task["context"]["case_id"] == case["id"]
    assert task["title"] == "Service recovery: call ann@client.example about ORD-1001"
    (alert,) = [a for a in rows(acme, schema.alerts) if a["rule"] == "service_recovery"]
    assert alert["title"] == f"case {case['id']}: Unhappy with ORD-1001"

    asks = [r for r in rows(acme, schema.outbox)
            if r["idempotency_key"].startswith("review_or_referral:")]
    assert {r["target"]: r["payload"]["template"] for r in asks} == {
        "bob@client.example": "review_request", "hal@client.example": "review_request"}
    bob_ask = next(r for r in asks if r["target"] == "bob@client.example")
    assert "https://reviews.example/acme" in bob_ask["payload"]["text"]
    assert bob_ask["payload"]["in_reply_to"].endswith("@client.example>")  # in Bob's thread

    keys = [r["idempotency_key"] for r in rows(acme, schema.outbox)]
    assert len(keys) == len(set(keys))
    with acme.for_tenant("acme") as scope:
        assert feedback_gaps(scope, local(2026, 12, 1, 22).astimezone(UTC)) == []

    before = {t.name: len(rows(acme, t)) for t in (schema.outbox, schema.cases, schema.tasks,
                                                   schema.alerts, schema.feedback)}
    run_weeks(acme, tmp_path, local(2026, 11, 20), run="backfill")  # the first week again
    after = {t.name: len(rows(acme, t)) for t in (schema.outbox, schema.cases, schema.tasks,
                                                  schema.alerts, schema.feedback)}
    assert after == before


def test_a_rerun_of_the_hours_that_ask_and_answer_sends_nothing_twice(
    acme: Database, tmp_path: Path
) -> None:
    cycles = Cycles(acme, tmp_path)
    asked = local(2026, 11, 17, 13).astimezone(UTC)
    cycles.at(asked)
    cycles.at(asked, run="rerun")
    assert request_of(acme, "ORD-1001")["status"] == "dry_run"
    reply(acme, tmp_path, cycles, "ORD-1001", "Late and sloppy. 1 out of 5.",
          local(2026, 11, 17, 15))
    answered = local(2026, 11, 17, 17).astimezone(UTC)
    cycles.at(answered)
    (run,) = [r for r in rows(acme, schema.agent_runs)
              if r["cycle_hour"].replace(tzinfo=UTC) == answered]
    assert run["metrics"]["cadence_feedback_answered_negative"] == 1
    assert run["metrics"]["cadence_feedback_recovery_proposed"] == 1
    cycles.at(answered, run="rerun")
    assert len([c for c in rows(acme, schema.cases) if c["source"] == "feedback"]) == 1
    assert len([t for t in rows(acme, schema.tasks) if t["kind"] == "human"]) == 1
    assert len([a for a in rows(acme, schema.alerts) if a["rule"] == "service_recovery"]) == 1
    keys = [r["idempotency_key"] for r in rows(acme, schema.outbox)]
    assert len(keys) == len(set(keys))


def test_positive_feedback_asks_for_nothing_unless_the_tenant_wants_it(
    acme: Database, tmp_path: Path
) -> None:
    update_tenant(acme, "acme", settings_patch={"feedback": {"review_url": None}})
    cycles = Cycles(acme, tmp_path)
    cycles.at(local(2026, 11, 16, 17).astimezone(UTC))
    reply(acme, tmp_path, cycles, "ORD-1002", "Great job, thank you!", local(2026, 11, 17, 8))
    cycles.at(local(2026, 11, 17, 9).astimezone(UTC))
    assert feedback_of(acme)["ORD-1002"]["sentiment"] == "positive"
    assert not [e for e in rows(acme, schema.cadence_enrollments)
                if e["cadence"] == "review_or_referral"]

    update_tenant(acme, "acme", settings_patch={"feedback": {"referral_requests": True}})
    cycles.at(local(2026, 11, 17, 13).astimezone(UTC))
    reply(acme, tmp_path, cycles, "ORD-1001", "Excellent work as always.", local(2026, 11, 18, 8))
    for hour in hours(local(2026, 11, 19), local(2026, 11, 18)):  # 48 h after our request
        cycles.at(hour)
    (ask,) = [r for r in rows(acme, schema.outbox)
              if r["idempotency_key"].startswith("review_or_referral:")]
    assert (ask["target"], ask["payload"]["template"]) == ("ann@client.example",
                                                           "referral_request")


def test_each_reply_answers_one_order_only(acme: Database, tmp_path: Path) -> None:
    update_tenant(acme, "acme", settings_patch={"thresholds": {"min_touch_gap_hours": 0}})
    with acme.for_tenant("acme") as scope:
        bob = next(c for c in rows(acme, schema.contacts) if c["first_name"] == "Bob")
        scope.insert(schema.orders, order("ORD-1014", bob, local(2026, 11, 10, 9)))
    cycles = Cycles(acme, tmp_path)
    for hour in (local(2026, 11, 16, 17), local(2026, 11, 17, 9)):  # ORD-1002, then ORD-1014 asked
        cycles.at(hour.astimezone(UTC))
    reply(acme, tmp_path, cycles, "ORD-1002", "5 out of 5, great job.", local(2026, 11, 17, 10),
          subject="Re: thanks", quoting=False)
    cycles.at(local(2026, 11, 17, 13).astimezone(UTC))  # answers ORD-1002, its request's thread
    cycles.at(local(2026, 11, 17, 17).astimezone(UTC))  # ...and never ORD-1014 as well
    reply(acme, tmp_path, cycles, "ORD-1002", "One more thing: the invoice for ORD-1002 was wrong.",
          local(2026, 11, 18, 10))
    cycles.at(local(2026, 11, 18, 13).astimezone(UTC))  # about ORD-1002: not ORD-1014's answer
    feedback = feedback_of(acme)
    assert (feedback["ORD-1002"]["status"], feedback["ORD-1002"]["rating"]) == ("answered", "5/5")
    assert feedback["ORD-1014"]["requested_at"] is not None
    assert (feedback["ORD-1014"]["status"], feedback["ORD-1014"]["reply_message_id"]) == (
        "requested", None)


def test_a_case_opened_between_plan_and_dispatch_stops_the_request(
    acme: Database, tmp_path: Path
) -> None:
    cycles = Cycles(acme, tmp_path)
    hour = local(2026, 11, 17, 13).astimezone(UTC)

    def complaint() -> None:
        with acme.for_tenant("acme") as scope:
            open_case(scope, hour, title="Called to complain", detail="by phone",
                      source="manual", order_id=by_number(acme)["ORD-1001"]["id"])

    cycles.at(hour, complaint)
    stopped = request_of(acme, "ORD-1001")
    assert stopped["status"] == "blocked"
    assert "stopped before sending: case 3 is open for the order" in stopped["last_error"]
    cycles.at(local(2026, 11, 17, 17).astimezone(UTC))
    ann = feedback_of(acme)["ORD-1001"]
    assert (ann["status"], ann["requested_at"]) == ("skipped", None)
    assert "case 3 is open for the order" in ann["skip_reason"]


def test_coverage_names_the_delivered_orders_nobody_asked(acme: Database) -> None:
    now = local(2026, 11, 17, 7).astimezone(UTC)
    with acme.for_tenant("acme") as scope:
        gaps = feedback_gaps(scope, now)
    # Before any cycle, every order delivered a week or more ago has no feedback row.
    assert {g["order_number"] for g in gaps} == {
        "ORD-1002", "ORD-1003", "ORD-1004", "ORD-1005", "ORD-1006", "ORD-1010", "ORD-1013"}
    assert {g["why"] for g in gaps} == {
        "no feedback row: the feedback engine has not seen the order"}


def test_a_reply_that_only_quotes_our_request_is_noted_not_scored(
    acme: Database, tmp_path: Path
) -> None:
    cycles = Cycles(acme, tmp_path)
    cycles.at(local(2026, 11, 19, 9).astimezone(UTC))
    reply(acme, tmp_path, cycles, "ORD-1009", "", local(2026, 11, 19, 11))
    cycles.at(local(2026, 11, 19, 13).astimezone(UTC))
    hal = feedback_of(acme)["ORD-1009"]
    assert (hal["status"], hal["sentiment"], hal["score"], hal["method"]) == (
        "requested", None, None, None)
    assert hal["evidence"] == ("the reply of 2026-11-19 16:00 UTC only quotes our request: "
                               "nothing of the client's own to score")
    assert hal["reply_message_id"] is not None


def test_the_demo_clients_answer_the_requests_its_first_cycle_sends(
    db: Database, tmp_path: Path, steward_env: Path
) -> None:
    now = datetime(2026, 11, 24, 15, tzinfo=UTC)
    generate_demo(db, tmp_path / "demo", now=now, size=DemoSize(tenants=1, documents=0))
    slug = "acme-appraisals"
    update_tenant(db, slug, settings_patch={  # every request may go at once
        "send_window": {"start_hour": 0, "end_hour": 24, "weekends": True},
        "caps": {"emails_per_hour": 500, "emails_per_day": 500},
        "thresholds": {"min_touch_gap_hours": 0}})
    tools = clients(Mailer(outbox_dir=str(tmp_path / "outbox")))
    ingest_tenant(db, tools.mailboxes, tools.alerts, get_tenant(db, slug), now)
    for n in range(2):  # the first cycle asks, the next reads the answers already in the inbox
        hour = now + timedelta(hours=n)
        c = Cycle(db, slug, hour, f"demo-{n}", hour + timedelta(minutes=5), False, tools.alerts)
        for phase in (plan_phase, lambda c: act_phase(c, tools), react_phase, reflect_phase):
            phase(c)
    feedback = rows(db, schema.feedback, slug)
    assert {f["sentiment"] for f in feedback if f["status"] == "answered"} >= {
        "negative", "positive"}
    assert any(f["skip_reason"] and f["skip_reason"].startswith("delivered in the future")
               for f in feedback)
    (case,) = [c for c in rows(db, schema.cases, slug) if c["source"] == "feedback"]
    assert case["owner"] == "ops@acme-appraisals.example"
