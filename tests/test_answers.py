"""Inquiries answered from the tenant's documents, end to end on both backends: an FAQ and a fee
schedule in the uploads folder go through the `documents` asset, client mail through the
`inbox` asset, and the hourly cycle drafts a reply that quotes the passage with its source,
waiting for approval (or sent as a dry run when the tenant made FAQ replies automatic); a
question the documents do not answer becomes a task for a person with the reason; nothing is
proposed twice, and mail nobody should answer now (old, already answered, a contract's words)
is left alone."""

from __future__ import annotations

import io
import mailbox
import os
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import dagster as dg
import docx
import pytest

from agent.answers import Passage, Unanswered, draft, question
from assets.cycle import cycle_phases
from assets.documents import documents
from assets.hour import HOUR_TAG
from assets.inbox import inbox
from assets.partitions import TENANTS, partition_tags
from resources.database import Database
from resources.mailer import Mailer
from resources.store import schema
from resources.store.tenants import add_tenant, update_tenant
from tests.cli import steward
from tests.helpers import clock_at, resources, rows
from tests.test_documents import FEES, docx_bytes, pdf_bytes

NOW = datetime(2026, 11, 24, 15, 5, tzinfo=UTC)
HOUR = NOW.replace(minute=0)
FAQ = [("How do I schedule an inspection?",
        "Reply to any of our emails with two times that suit you; we confirm within one "
        "business day."),
       ("What areas do you cover?", "We cover Marin, Sonoma and Napa counties.")]


def faq_docx() -> bytes:
    document = docx.Document()
    document.add_heading("Frequently asked questions", 1)
    for asked, answer in FAQ:
        document.add_paragraph(asked)
        document.add_paragraph(answer)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def mail(n: int, subject: str, body: str, at: datetime, sender: str = "dana@lender.example",
         **headers: str) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = f"Dana <{sender}>", "office@acme.example", subject
    msg["Message-ID"], msg["Date"] = f"<q{n}@lender.example>", format_datetime(at)
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg.as_bytes()


@pytest.fixture
def tenant(db: Database, tmp_path: Path) -> Database:
    add_tenant(db, "acme")
    uploads, box = tmp_path / "uploads", tmp_path / "Maildir"
    uploads.mkdir()
    (uploads / "faq.docx").write_bytes(faq_docx())
    (uploads / "fee-schedule.pdf").write_bytes(pdf_bytes(*FEES))
    (uploads / "lender-agreement.docx").write_bytes(docx_bytes())
    update_tenant(db, "acme", settings_patch={
        "documents_dir": str(uploads), "mailbox": f"maildir://{box}",
        "own_addresses": ["acme.example"],
        "send_window": {"start_hour": 0, "end_hour": 24, "weekends": True},
    })
    inbox_dir = mailbox.Maildir(box, create=True)
    for raw in (
        mail(1, "Rush appraisal", "Hi,\n\nHow much do you charge for rush delivery within 48 "
             "hours?\n\nThanks\nDana", NOW - timedelta(hours=2)),
        mail(2, "Pricing for farmland", "Hello, how much would a farmland appraisal in Nevada "
             "with water rights cost?", NOW - timedelta(hours=3), sender="lee@farm.example"),
        mail(3, "Old question", "How much is a rush delivery?", NOW - timedelta(days=10),
             sender="old@lender.example"),
        mail(4, "Scheduling", "Can we reschedule? How do I schedule an inspection with you?",
             NOW - timedelta(hours=1), sender="sam@broker.example"),
    ):
        inbox_dir.add(raw)
    return db


@pytest.fixture
def mailer(tmp_path: Path) -> Mailer:
    return Mailer(outbox_dir=str(tmp_path / "outbox"))


def run(db: Database, mailer: Mailer, assets: list, hour: datetime = HOUR) -> None:
    with clock_at(hour.replace(minute=5)), dg.DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions(TENANTS, ["acme"])
        result = dg.materialize(
            assets, instance=instance, resources=resources(db, mailer),
            tags={**partition_tags(["acme"]), HOUR_TAG: f"{hour:%Y-%m-%dT%H}"})
    assert result.success


def ledger(db: Database) -> dict[str, dict]:
    return {a["target"]: a for a in rows(db, schema.actions)
            if a["kind"] in ("faq_reply", "create_task")}


def test_the_cycle_drafts_a_cited_reply_and_leaves_the_rest_for_a_person(
        tenant: Database, mailer: Mailer) -> None:
    run(tenant, mailer, [documents, inbox])
    run(tenant, mailer, [cycle_phases])
    actions = ledger(tenant)
    assert set(actions) == {"dana@lender.example", "lee@farm.example", "sam@broker.example"}

    reply = actions["dana@lender.example"]
    assert (reply["kind"], reply["status"]) == ("faq_reply", "awaiting_approval")
    (citation,) = reply["payload"]["citations"]
    assert (citation["filename"], citation["page"]) == ("fee-schedule.pdf", 1)
    assert "Rush delivery within 48 hours adds $150 to the fee." in citation["quote"]
    (approval,) = [t for t in rows(tenant, schema.tasks) if t["kind"] == "approval"
                   and t["context"]["action"]["kind"] == "faq_reply"
                   and t["context"]["action"]["target"] == "dana@lender.example"]
    preview = approval["context"]["preview"]
    assert preview["subject"] == "Re: Rush appraisal"
    assert preview["in_reply_to"] == "<q1@lender.example>"
    assert f'"{citation["quote"]}" [1]' in preview["text"]
    assert "[1] fee-schedule.pdf, page 1" in preview["text"]
    assert "Engagement agreement" not in preview["text"]  # a contract is never quoted

    scheduling = actions["sam@broker.example"]
    assert scheduling["kind"] == "faq_reply"
    quote = scheduling["payload"]["citations"][0]["quote"]
    assert "we confirm within one business day" in quote  # the FAQ's answer, not only its question

    person = actions["lee@farm.example"]
    assert person["kind"] == "create_task" and person["reason"].startswith(
        "left for a person: no passage answers it")
    assert "farmland" in person["reason"]
    tasks = [t for t in rows(tenant, schema.tasks) if t["kind"] == "human"]
    assert [t["title"] for t in tasks] == ["Answer lee@farm.example: Pricing for farmland"]

    assert "old@lender.example" not in actions  # ten days old: not answered now
    (record,) = rows(tenant, schema.agent_runs)
    assert record["plan"]["gathered"]["inquiries_answered"] == 2
    assert record["plan"]["gathered"]["inquiries_left_for_person"] == 1


def test_nothing_is_proposed_twice_and_automatic_replies_go_out_in_the_thread(
        tenant: Database, mailer: Mailer) -> None:
    run(tenant, mailer, [documents, inbox])
    run(tenant, mailer, [cycle_phases])
    first = {a["idempotency_key"] for a in rows(tenant, schema.actions)}
    run(tenant, mailer, [cycle_phases])  # the same hour again
    run(tenant, mailer, [cycle_phases], HOUR + timedelta(hours=1))
    again = [a for a in rows(tenant, schema.actions) if a["kind"] in ("faq_reply", "create_task")]
    assert len(again) == 3 and {a["idempotency_key"] for a in again} <= first

    update_tenant(tenant, "acme", settings_patch={"approvals": {"faq_reply": "auto"}})
    with tenant.for_tenant("acme") as scope:
        scope.insert(schema.messages, {
            "message_key": "new", "direction": "in", "from_addr": "kim@bank.example",
            "subject": "Fee schedule question", "thread_key": "kim",
            "body_text": "How much does a desktop appraisal cost?", "message_id_header": "<k@b>",
            "classification": "inquiry", "sent_at": HOUR + timedelta(hours=1, minutes=30)})
    run(tenant, mailer, [cycle_phases], HOUR + timedelta(hours=2))
    (sent,) = [o for o in rows(tenant, schema.outbox) if o["target"] == "kim@bank.example"]
    assert sent["kind"] == "faq_reply" and sent["status"] == "dry_run"
    eml = Path(sent["eml_path"]).read_text()
    assert "In-Reply-To: <k@b>" in eml and "Desktop appraisal: $275." in eml


def test_mail_answered_already_is_left_alone(tenant: Database, mailer: Mailer) -> None:
    run(tenant, mailer, [documents, inbox])
    with tenant.for_tenant("acme") as scope:
        thread = next(m["thread_key"] for m in rows(tenant, schema.messages)
                      if m["from_addr"] == "dana@lender.example")
        scope.insert(schema.messages, {
            "message_key": "ours", "direction": "out", "from_addr": "office@acme.example",
            "subject": "Re: Rush appraisal", "thread_key": thread, "body_text": "It is $150.",
            "sent_at": NOW - timedelta(hours=1)})
    run(tenant, mailer, [cycle_phases])
    assert "dana@lender.example" not in ledger(tenant)


def test_a_passage_must_hold_most_of_the_question() -> None:
    asked = question("Re: Re: Coverage", "Do you cover Napa county?\n\n> What areas do you cover")
    assert asked == "Do you cover Napa county?"
    assert question("Coverage", "Napa county.\n\nThanks") == "Coverage Napa county. Thanks"
    faq = Passage(1, 1, "faq.docx", 1, 0, " ".join(" ".join(pair) for pair in FAQ))
    found = draft(asked, [faq])
    assert found.citations[0].quote == "We cover Marin, Sonoma and Napa counties."
    assert found.reason == ("answered from faq.docx, page 1: 3 of the 3 words "
                            "(cover, napa, county)")
    fees = Passage(2, 2, "fees.pdf", 1, 0, "Fee Schedule\nDesk review: fee $175.\n"
                   "Turn time: 5 business days.\nRush adds $150 to the fee.")
    assert draft("What are your fee and turn time?", [fees]).citations[0].quote == (
        "Desk review: fee $175. Turn time: 5 business days.")  # a heading is not a quote
    table = Passage(3, 3, "rates.xlsx", 1, 0, "Product\tFee\tTurn time\nDesk review\t175\t"
                    "2 days\nField review\t325\t4 days\nRush\tyes\tsame week")
    assert draft("What is the fee for a field review?", [table]).citations[0].quote == (
        "Product | Fee | Turn time; Field review | 325 | 4 days")  # a table row is the answer
    assert isinstance(draft("Do you appraise yachts?", [faq]), Unanswered)
    assert draft("What's your cover? We're in Napa county, aren't we?", [faq]).citations
    assert draft("Hi, thanks!", [faq]).reason.startswith("the message asks nothing")
    assert draft("rush fees", []).reason == ("no SOP, FAQ or fee schedule passage matches "
                                             "(rush, fees)")


def test_steward_docs_answers_shows_the_draft_and_why_one_was_left(
        tenant: Database, mailer: Mailer) -> None:
    run(tenant, mailer, [documents, inbox])
    run(tenant, mailer, [cycle_phases])
    env = {**os.environ, "STEWARD_DATABASE_URL": tenant.resolved_url()}
    shown = steward(env, "docs", "answers", "--tenant", "acme").stdout
    assert "faq_reply to dana@lender.example: awaiting_approval, task " in shown
    assert "| Subject: Re: Rush appraisal" in shown
    assert "| [1] fee-schedule.pdf, page 1" in shown
    (task,) = [t for t in rows(tenant, schema.tasks) if t["kind"] == "human"]
    assert (f"create_task to lee@farm.example: delivered (task {task['id']} opened for a "
            "person)\n   left for a person: no passage") in shown
    brief = steward(env, "docs", "answers", "--tenant", "acme", "--no-text", "--limit", "1")
    assert "Subject" not in brief.stdout and brief.stdout.count(" to ") == 1
