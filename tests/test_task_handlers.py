"""Task handlers on both databases: outside effects go through the gate once per task (what a
semi-automated task sends waits for a person there), and the work Steward does itself (drafts,
summaries, reports, briefs) lands in files with real content."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from resources.database import Database
from resources.mailer import Mailer
from resources.store import schema
from resources.store.tenants import get_tenant, update_tenant
from services.tasks.handlers import HandlerError, Outcome, TaskRun, handle, handler_name
from tests.helpers import add_task, approved, rows, seed_tenant

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # a Tuesday afternoon: the send window is open
NOTES = """Met Dana from Harbor Roofing about the spring inspection programme.
The inspection programme covers forty roofs across the harbor district.
Dana liked the programme but wants the inspection price per roof before signing.
Lunch was at the new cafe.
- TODO: send Dana the per-roof inspection price
- Ben needs to book the drone survey.
Weather was grey."""


def no_snapshot(entity_type: str, entity_id: str, data: dict) -> None:
    raise AssertionError("these handlers change no existing record, so they snapshot nothing")


@pytest.fixture
def acme(db: Database) -> Database:
    seed_tenant(db, "acme", contacts=3)
    return db


@pytest.fixture
def mailer(tmp_path: Path) -> Mailer:
    return Mailer(outbox_dir=str(tmp_path / "outbox"))


def run(db: Database, mailer: Mailer, task: dict, now: datetime = NOW) -> Outcome:
    return handle(TaskRun(db, mailer, get_tenant(db, "acme"), task, now, no_snapshot))


def email_task(db: Database, to: str = "ann@harbor.example", **columns) -> dict:
    context = {"to": to, "first_name": "Ann", "subject": "Your inspection"}
    return add_task(
        db, "email", "Tell Ann", description="It is booked for Friday.", context=context, **columns
    )


def test_an_approved_email_task_queues_its_mail_once(acme, mailer):
    task = email_task(acme, **approved())
    outcome = run(acme, mailer, task)
    key = f"task:{task['id']}:email"
    assert (outcome.status, outcome.deliverable) == ("completed", f"outbox:{key}")
    assert "approved by owner@acme.example" in outcome.detail
    (row,) = rows(acme, schema.outbox)
    assert (row["idempotency_key"], row["kind"], row["target"]) == (
        key,
        "send_email",
        "ann@harbor.example",
    )
    assert row["payload"]["subject"] == "Your inspection"
    assert "Hi Ann," in row["payload"]["text"] and "booked for Friday" in row["payload"]["text"]
    again = run(acme, mailer, task, NOW + timedelta(minutes=3))
    assert (again.status, again.deliverable) == ("completed", f"outbox:{key}")
    assert len(rows(acme, schema.outbox)) == 1


def test_an_unapproved_email_task_waits_for_the_approval_the_gate_opened(acme, mailer):
    task = email_task(acme)
    outcome = run(acme, mailer, task)
    (approval,) = [t for t in rows(acme, schema.tasks) if t["kind"] == "approval"]
    assert outcome.status == "blocked"
    assert f"approval task {approval['id']}" in outcome.detail
    assert approval["context"]["action"]["idempotency_key"] == f"task:{task['id']}:email"
    assert rows(acme, schema.outbox) == []


def test_a_semi_automated_send_waits_for_a_person_even_where_the_tier_is_automatic(acme, mailer):
    update_tenant(acme, "acme", settings_patch={"approvals": {"send_email": "auto"}})
    task = email_task(acme, execution_type="semi_automated")
    outcome = run(acme, mailer, task)
    (approval,) = [t for t in rows(acme, schema.tasks) if t["kind"] == "approval"]
    assert (outcome.status, outcome.awaits) == ("blocked", approval["id"])
    assert "(approval_requested)" in outcome.detail and "approves what leaves" in outcome.detail
    assert approval["context"]["preview"]["subject"] == "Your inspection"
    assert rows(acme, schema.outbox) == []
    fully = run(acme, mailer, email_task(acme))
    assert fully.status == "completed" and len(rows(acme, schema.outbox)) == 1


def test_approval_does_not_override_a_suppression(acme, mailer):
    with acme.for_tenant("acme") as scope:
        scope.insert(schema.suppressions, {"email": "ann@harbor.example", "reason": "bounce"})
    outcome = run(acme, mailer, email_task(acme, **approved()))
    assert outcome.status == "blocked"
    assert "(suppressed)" in outcome.detail and "bounce" in outcome.detail
    assert rows(acme, schema.outbox) == []


def test_outside_the_send_window_the_task_waits_for_the_morning(acme, mailer):
    night = datetime(2026, 11, 24, 22, 0, tzinfo=UTC)
    outcome = run(acme, mailer, email_task(acme, **approved()), night)
    assert outcome.status == "waiting"
    assert outcome.not_before == datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
    assert "(send_window)" in outcome.detail
    assert rows(acme, schema.outbox) == []


def test_an_email_task_without_a_recipient_is_blocked(acme, mailer):
    outcome = run(acme, mailer, add_task(acme, "email", "Write to someone", **approved()))
    assert outcome.status == "blocked" and "no recipient" in outcome.detail
    two = add_task(acme, "email", "Write to ann@harbor.example and bo@harbor.example", **approved())
    assert "no recipient" in run(acme, mailer, two).detail


def test_an_email_task_goes_to_the_one_address_its_title_names(acme, mailer):
    task = add_task(acme, "email", "Thank john@harbor.example for the meeting", **approved())
    assert run(acme, mailer, task).status == "completed"
    (row,) = rows(acme, schema.outbox)
    assert row["target"] == "john@harbor.example"


def test_an_approved_social_task_queues_a_post_for_its_provider(acme, mailer):
    task = add_task(
        acme,
        "social",
        "Spring offer",
        context={"text": "Book a spring inspection this week.", "channel": "linkedin"},
        **approved(),
    )
    outcome = run(acme, mailer, task)
    (row,) = rows(acme, schema.outbox)
    assert (row["kind"], row["target"], row["idempotency_key"]) == (
        "social_post",
        "linkedin",
        f"task:{task['id']}:social",
    )
    assert row["payload"]["text"] == "Book a spring inspection this week."
    assert (outcome.status, outcome.deliverable) == (
        "completed",
        f"outbox:{row['idempotency_key']}",
    )


def test_a_marketing_task_is_a_newsletter_that_waits_for_approval(acme, mailer):
    task = add_task(acme, "marketing", "November news", description="Our winter hours.")
    outcome = run(acme, mailer, task)
    assert outcome.status == "blocked" and "newsletter to newsletter subscribers" in outcome.detail
    (ledger,) = rows(acme, schema.actions)
    assert ledger["idempotency_key"] == f"task:{task['id']}:newsletter"
    assert ledger["payload"]["text"] == "November news\n\nOur winter hours."


def test_an_email_draft_is_rendered_from_the_template_into_a_file(acme, mailer):
    task = add_task(
        acme,
        "content",
        "Draft an email to Ann",
        context={"to": "ann@harbor.example", "first_name": "Ann", "subject": "Your inspection"},
        description="It is booked for Friday at nine.",
    )
    outcome = run(acme, mailer, task)
    assert outcome.status == "completed"
    text = Path(outcome.deliverable).read_text()
    assert "- Subject: Your inspection" in text and "- To: ann@harbor.example" in text
    assert "Hi Ann,\n\nIt is booked for Friday at nine." in text
    assert Path(outcome.deliverable).parent == Path(mailer.outbox_dir) / "acme" / "tasks"


def test_an_email_draft_is_addressed_to_the_one_address_its_title_names(acme, mailer):
    task = add_task(acme, "content", "Draft email to john@example.com thanking him")
    text = Path(run(acme, mailer, task).deliverable).read_text()
    assert "- To: john@example.com" in text
    assert rows(acme, schema.actions) == [] and rows(acme, schema.outbox) == []


def test_an_email_draft_missing_a_template_variable_is_blocked_with_its_name(acme, mailer):
    task = add_task(acme, "content", "Draft a reply", context={"template": "follow_up"})
    outcome = run(acme, mailer, task)
    assert outcome.status == "blocked" and "first_name" in outcome.detail


def test_a_post_draft_is_markdown_from_the_task(acme, mailer):
    task = add_task(
        acme,
        "content",
        "Spring inspections",
        description="Roofs take a beating in winter.",
        context={"points": ["Drone surveys", "Same-week reports"]},
    )
    text = Path(run(acme, mailer, task).deliverable).read_text()
    assert text.startswith("# Spring inspections\n\nRoofs take a beating in winter.")
    assert "- Drone surveys\n- Same-week reports" in text


def test_a_summary_keeps_the_sentences_that_matter_and_the_action_items(acme, mailer):
    task = add_task(acme, "summary", "Harbor meeting", context={"notes": NOTES})
    outcome = run(acme, mailer, task)
    assert outcome.status == "completed"
    assert outcome.detail == "summarised 7 sentences to 3, 2 action item(s)"
    text = Path(outcome.deliverable).read_text()
    summary = text.split("\n\n")[1]
    assert summary == (
        "Met Dana from Harbor Roofing about the spring inspection programme. "
        "The inspection programme covers forty roofs across the harbor district. "
        "Dana liked the programme but wants the inspection price per roof before signing."
    )
    assert (
        "- send Dana the per-roof inspection price\n- Ben needs to book the drone survey." in text
    )
    assert "Lunch" not in text and "Weather" not in text


def test_empty_notes_are_nothing_to_summarise(acme, mailer):
    outcome = run(acme, mailer, add_task(acme, "notes", "Empty", description="  "))
    assert outcome.status == "blocked" and "nothing to summarise" in outcome.detail


def seed_business(db: Database) -> None:
    with db.for_tenant("acme") as scope:
        scope.insert(schema.accounts, {"name": "Harbor Roofing", "industry": "roofing"})
        harbor = scope.scalar(
            scope.select(schema.accounts.c.id).where(schema.accounts.c.name == "Harbor Roofing")
        )
        scope.execute(sa.update(schema.contacts).values(last_touch_at=NOW - timedelta(days=3)))
        scope.insert(
            schema.contacts,
            [
                {"email": "dana@harbor.example", "full_name": "Dana Reyes", "account_id": harbor,
                 "last_touch_at": NOW - timedelta(days=30)},
                {"email": "ben@harbor.example", "full_name": "Ben Okafor", "account_id": harbor,
                 "last_touch_at": NOW - timedelta(days=2)},
            ],
        )  # fmt: skip
        scope.insert(
            schema.orders,
            [
                {"order_number": "A-1", "status": "delivered", "total_amount": Decimal("100.00"),
                 "account_id": harbor, "ordered_at": NOW - timedelta(days=9)},
                {"order_number": "A-2", "status": "delivered", "total_amount": Decimal("250.50"),
                 "account_id": harbor, "ordered_at": NOW - timedelta(days=5)},
                {"order_number": "A-3", "status": "new", "total_amount": Decimal("80.00"),
                 "ordered_at": NOW - timedelta(days=1)},
            ],
        )  # fmt: skip
        scope.insert(
            schema.deals,
            [
                {"title": "Harbor district", "stage": "proposal", "amount": Decimal("2500.25"),
                 "account_id": harbor},
                {"title": "Small job", "stage": "lead", "amount": Decimal("1000")},
                {"title": "Old win", "stage": "won", "amount": Decimal("999")},
            ],
        )  # fmt: skip


def test_a_report_shows_the_tenants_figures(acme, mailer):
    seed_business(acme)
    outcome = run(acme, mailer, add_task(acme, "report", "Weekly numbers"))
    assert outcome.status == "completed"
    text = Path(outcome.deliverable).read_text()
    assert "| delivered | 2 | 350.50 |" in text and "| new | 1 | 80.00 |" in text
    assert "| **total** | 3 | 430.50 |" in text
    assert "| lead | 1 | 1,000.00 |" in text and "| proposal | 1 | 2,500.25 |" in text
    assert "| **total** | 2 | 3,500.25 |" in text and "won" not in text
    assert "| in_progress | 1 |" in text
    assert "Contacts past their 21-day touch: 1 of 5" in text
    csv_rows = Path(outcome.deliverable).with_suffix(".csv").read_text().splitlines()
    assert "Orders by status,delivered,2,350.50" in csv_rows
    assert outcome.detail == (
        "report written: orders 3, open deals 2, quotes 0, tasks 1, contacts past their touch 1"
    )


def test_a_research_brief_names_the_accounts_people_and_says_it_has_no_web(acme, mailer):
    seed_business(acme)
    task = add_task(acme, "research", "Before the call", context={"contact": "DANA@harbor.example"})
    outcome = run(acme, mailer, task)
    assert outcome.status == "completed"
    text = Path(outcome.deliverable).read_text()
    assert "## Harbor Roofing" in text and "- Industry: roofing" in text
    assert "- Dana Reyes <dana@harbor.example>" in text
    assert "- Ben Okafor <ben@harbor.example>" in text
    assert "### Orders (2, 350.50 in total)" in text and "- A-2 delivered 250.50" in text
    assert "- Harbor district: proposal, 2,500.25" in text
    assert "no web access" in text
    unknown = run(acme, mailer, add_task(acme, "research", "Who", context={"account": "Nobody"}))
    assert unknown.status == "blocked" and "'Nobody'" in unknown.detail


def test_a_coordination_brief_lists_the_parent_and_siblings_with_their_status(acme, mailer):
    parent = add_task(acme, "general", "Launch the newsletter", status="in_progress")
    add_task(acme, "research", "Research the audience", parent_id=parent["id"], status="completed")
    add_task(
        acme,
        "newsletter",
        "Send it",
        parent_id=parent["id"],
        status="blocked",
        last_error="waits for approval",
    )
    task = add_task(acme, "coordination", "Keep it moving", parent_id=parent["id"])
    outcome = run(acme, mailer, task)
    assert outcome.status == "completed"
    assert outcome.detail == "coordination brief: 3 related task(s), 1 stuck"
    text = Path(outcome.deliverable).read_text()
    assert f"| {parent['id']} Launch the newsletter | general | in_progress |" in text
    assert "Research the audience | research | completed |" in text
    assert "Send it: blocked, waits for approval" in text


def test_scheduling_needs_a_calendar_and_unknown_kinds_need_a_person(acme, mailer):
    outcome = run(acme, mailer, add_task(acme, "scheduling", "Book the survey"))
    assert outcome == Outcome(
        "blocked", "scheduling needs a calendar connection; none is configured"
    )
    other = run(acme, mailer, add_task(acme, "general", "Fix the gutter"))
    assert other == Outcome("blocked", "no handler for kind general; a person must do it")
    assert handler_name("marketing") == "propose_platform"
    assert handler_name("carpentry") == "no_handler"


def test_a_deliverable_that_cannot_be_written_is_a_failed_attempt(acme, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the outbox folder should be")
    task = add_task(acme, "summary", "Notes", description="The roof needs work.")
    with pytest.raises(HandlerError):
        run(acme, Mailer(outbox_dir=str(blocker)), task)


def test_a_report_counts_only_its_own_tenants_rows(acme, mailer):
    seed_business(acme)
    seed_tenant(acme, "other", contacts=1)
    with acme.for_tenant("other") as scope:
        scope.insert(
            schema.orders,
            {"order_number": "O-1", "status": "delivered", "total_amount": 999, "ordered_at": NOW},
        )
    text = Path(run(acme, mailer, add_task(acme, "report", "Numbers")).deliverable).read_text()
    assert "| delivered | 2 | 350.50 |" in text and "of 5 with an email address" in text
