"""Bounces and spam complaints matched to the mail we sent, through the inbox asset on both
databases: the outbox row a report names decides whose address it is, soft bounces suppress only
when they keep coming within the window, complaints suppress the complainer (never the report's
sender) and count toward the tenant's complaint-rate alert, and `steward inbox status` shows it.
"""

from __future__ import annotations

import mailbox
import os
from datetime import datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from zlib import crc32

import dagster as dg
import pytest
import sqlalchemy as sa

import migrations
from assets.inbox import inbox
from assets.partitions import TENANTS
from resources.database import Database
from resources.mailer.message import message_id
from resources.store import schema
from resources.store.tenants import add_tenant, update_tenant
from tests.cli import steward
from tests.conftest import drop_pg_database
from tests.helpers import NOW, clock_at, resources, rows
from tests.test_dispatch_config import owned_pg_database
from tests.test_inbox import _deliver

OUR = "office@acme.example"
FBL = "feedback@fbl.mailbox-provider.example"


@pytest.fixture
def maildir(db: Database, tmp_path: Path, steward_env: Path) -> Path:
    box = tmp_path / "acme" / "Maildir"
    add_tenant(db, "acme")
    update_tenant(db, "acme", settings_patch={"mailbox": f"maildir://{box}",
                                               "own_addresses": ["acme.example"]})
    return box


def ingest(db: Database, at: datetime) -> dict:
    with clock_at(at), dg.DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions(TENANTS, ["acme"])
        result = dg.materialize([inbox], instance=instance, partition_key="acme",
                                resources=resources(db))
    assert result.success
    (materialization,) = result.asset_materializations_for_node("inbox")
    return {k: v.value for k, v in materialization.metadata.items()}


def sent(db: Database, key: str, to: str, at: datetime = NOW - timedelta(days=1)) -> str:
    """An outbox row as the dispatcher leaves it after SMTP took the mail; its Message-ID."""
    mid = message_id("acme", key, OUR).strip("<>")
    with db.for_tenant("acme") as scope:
        scope.insert(schema.outbox, {
            "idempotency_key": key, "kind": "send_email", "target": to, "status": "sent",
            "payload": {"from": OUR, "to": to, "subject": "Your appraisal", "text": "Hello"},
            "sent_at": at, "message_id": mid, "provider_ref": f"<{mid}> 250 ok"})
    return mid


def bounce(original: str, recipient: str, status: str, diagnostic: str, at: datetime,
           original_to: str | None = None) -> bytes:
    """An RFC 3464 report whose text/rfc822-headers part names the message that bounced."""
    return f"""\
Return-Path: <>
From: Mail Delivery System <MAILER-DAEMON@mx.receiver.example>
To: {OUR}
Subject: Undelivered Mail Returned to Sender
Message-ID: <dsn.{crc32(f'{original} {recipient} {at}'.encode())}@mx.receiver.example>
Date: {format_datetime(at)}
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="R"

--R
Content-Type: text/plain

Your message could not be delivered.

--R
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.receiver.example

Final-Recipient: rfc822; {recipient}
Action: failed
Status: {status}
Diagnostic-Code: smtp; {diagnostic}

--R
Content-Type: text/rfc822-headers

From: Acme <{OUR}>
To: {original_to or recipient}
Subject: Your appraisal
Message-ID: <{original}>

--R--
""".encode()


def arf(original: str, at: datetime, *, rcpt: str | None = None, original_to: str = "redacted",
        feedback_type: str = "abuse") -> bytes:
    """An RFC 5965 feedback report, the complainer named or redacted as providers do."""
    rcpt_line = f"Original-Rcpt-To: <{rcpt}>\n" if rcpt else ""
    return f"""\
From: Feedback Loop <{FBL}>
To: abuse@acme.example
Subject: Email Feedback Report for IP 192.0.2.25
Message-ID: <arf.{crc32(f'{original} {rcpt} {at} {feedback_type}'.encode())}@fbl.example>
Date: {format_datetime(at)}
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="F"

--F
Content-Type: text/plain

This is an email abuse report for an email message received from IP 192.0.2.25.
Please unsubscribe this user and take action against the sender.

--F
Content-Type: message/feedback-report

Feedback-Type: {feedback_type}
User-Agent: MailboxProvider-FBL/2.0
Version: 1
Original-Mail-From: <{OUR}>
{rcpt_line}Arrival-Date: {format_datetime(at - timedelta(hours=2))}
Source-IP: 192.0.2.25
Reported-Domain: acme.example

--F
Content-Type: message/rfc822

From: Acme <{OUR}>
To: {original_to}
Subject: Your appraisal
Message-ID: <{original}>
Date: {format_datetime(at - timedelta(hours=2))}

Hello, your appraisal is ready.
--F--
""".encode()


def suppressed(db: Database) -> dict[str, str]:
    return {r["email"]: r["reason"] for r in rows(db, schema.suppressions)}


def test_a_bounce_is_matched_to_its_outbox_row_and_only_that_address_suppressed(
    db: Database, maildir: Path
) -> None:
    gone = sent(db, "k-gone", "gone@client.example")
    forwarded = sent(db, "k-fwd", "alias@client.example")
    _deliver(maildir, bounce(gone, "gone@client.example", "5.1.1", "550 5.1.1 User unknown", NOW))
    # A report about a message that went to someone else names an address we never mailed.
    _deliver(maildir, bounce(forwarded, "old-job@elsewhere.example", "5.1.1",
                             "550 5.1.1 No such user", NOW, original_to="alias@client.example"))
    figures = ingest(db, NOW)
    assert suppressed(db) == {"gone@client.example": "bounce:user_unknown"}
    feedback = {r["email"]: r for r in rows(db, schema.delivery_feedback)}
    outbox_ids = {r["idempotency_key"]: r["id"] for r in rows(db, schema.outbox)}
    assert feedback["gone@client.example"]["outbox_id"] == outbox_ids["k-gone"]
    assert feedback["gone@client.example"]["outcome"] == "suppress"
    kept = feedback["old-job@elsewhere.example"]
    assert (kept["outcome"], kept["outbox_id"]) == ("not_sent", outbox_ids["k-fwd"])
    assert "went to alias@client.example" in kept["evidence"]
    assert figures["bounce_user_unknown"] == 2 and figures["suppressed"] == 1
    assert figures["suppressed_bounce_user_unknown"] == 1


def qmail(original: str, recipient: str, at: datetime) -> bytes:
    """qmail's failure notice: no report part, the original copied inline under the text."""
    return f"""\
Return-Path: <>
From: MAILER-DAEMON@mx.receiver.example
To: {OUR}
Subject: failure notice
Message-ID: <q.{crc32(original.encode())}@mx.receiver.example>
Date: {format_datetime(at)}

Hi. This is the qmail-send program at mx.receiver.example.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<{recipient}>:
Sorry, no mailbox here by that name. (#5.1.1)

--- Below this line is a copy of the message.

Return-Path: <{OUR}>
From: Acme <{OUR}>
To: {recipient}
Subject: Your appraisal
Message-ID: <{original}>

Hello.
""".encode()


def test_a_bounce_quoting_the_original_inline_finds_its_outbox_row(
    db: Database, maildir: Path
) -> None:
    mid = sent(db, "k-q", "gone@client.example")
    _deliver(maildir, qmail(mid, "gone@client.example", NOW))
    ingest(db, NOW)
    (row,) = rows(db, schema.delivery_feedback)
    (outbox_row,) = rows(db, schema.outbox)
    assert (row["email"], row["outcome"], row["outbox_id"]) == (
        "gone@client.example", "suppress", outbox_row["id"])
    assert suppressed(db) == {"gone@client.example": "bounce:user_unknown"}


def test_soft_bounces_suppress_only_when_they_keep_coming_within_the_window(
    db: Database, maildir: Path
) -> None:
    full = ("full@client.example", "5.2.2", "552 5.2.2 Mailbox full")
    busy = ("busy@client.example", "4.7.0", "421 4.7.0 Try again later, too many connections")
    # full: three within 15 days, the third suppresses; busy: never three within any 15 days.
    events = [(0, full), (0, busy), (6, full), (10, busy), (12, full), (20, busy)]
    for n, (day, (address, status, diagnostic)) in enumerate(events):
        at = NOW + timedelta(days=day)
        _deliver(maildir, bounce(sent(db, f"k{n}", address, at), address, status, diagnostic, at))
        ingest(db, at + timedelta(hours=1))
        assert set(suppressed(db)) == ({"full@client.example"} if day >= 12 else set())
    (row,) = rows(db, schema.suppressions)
    assert row["reason"] == "bounce:soft_repeated"
    assert row["detail"].startswith("3 soft bounces in 15 days (mailbox_full x3); last: 5.2.2")


def test_a_rerun_of_the_same_soft_bounces_counts_each_once(db: Database, maildir: Path) -> None:
    for n in range(2):
        at = NOW + timedelta(days=n)
        _deliver(maildir, bounce(sent(db, f"k{n}", "full@client.example", at),
                                 "full@client.example", "5.2.2", "552 5.2.2 Mailbox full", at))
    ingest(db, NOW + timedelta(days=2))
    with db.for_tenant("acme") as scope:
        scope.execute(schema.mailbox_state.delete())  # the checkpoint is lost: all mail again
    ingest(db, NOW + timedelta(days=2))
    assert len(rows(db, schema.delivery_feedback)) == 2 and suppressed(db) == {}


def test_a_complaint_suppresses_the_complainer_and_never_the_report_sender(
    db: Database, maildir: Path
) -> None:
    named = sent(db, "k1", "named@client.example")
    redacted = sent(db, "k2", "redacted@client.example")
    reversed_ = sent(db, "k3", "happy@client.example")
    _deliver(maildir, arf(named, NOW, rcpt="named@client.example"))
    _deliver(maildir, arf(redacted, NOW))  # the provider hid the complainer: the outbox row names
    _deliver(maildir, arf(reversed_, NOW, rcpt="happy@client.example", feedback_type="not-spam"))
    figures = ingest(db, NOW)
    assert suppressed(db) == {"named@client.example": "complaint",
                              "redacted@client.example": "complaint"}
    assert figures["complaints"] == 2 and figures["suppressed_complaint"] == 2
    assert rows(db, schema.contacts) == [] and rows(db, schema.touches) == []
    by_email = {r["email"]: r for r in rows(db, schema.delivery_feedback)}
    assert "we sent" in by_email["redacted@client.example"]["evidence"]
    assert by_email["named@client.example"]["reason"] == "complaint_abuse"


def test_a_complaint_with_no_outbox_row_takes_the_sole_original_recipient(
    db: Database, maildir: Path
) -> None:
    _deliver(maildir, arf("old-campaign.1@acme.example", NOW, original_to="reader@client.example"))
    _deliver(maildir, arf("old-campaign.2@acme.example", NOW,
                          original_to="a@client.example, b@client.example"))  # which one? unknown
    ingest(db, NOW)
    assert suppressed(db) == {"reader@client.example": "complaint"}


@pytest.mark.parametrize(("sends", "alerted"), [(500, True), (2000, False)])
def test_complaints_at_the_threshold_share_of_sends_alert(
    db: Database, maildir: Path, sends: int, alerted: bool
) -> None:
    with db.for_tenant("acme") as scope:
        scope.insert(schema.outbox, [
            {"idempotency_key": f"bulk{n}", "kind": "send_email", "target": f"c{n}@client.example",
             "status": "sent", "sent_at": NOW - timedelta(days=3)} for n in range(sends)])
    _deliver(maildir, arf(sent(db, "k1", "angry@client.example"), NOW, rcpt="angry@client.example"))
    ingest(db, NOW)
    alerts = [a for a in rows(db, schema.alerts) if a["rule"] == "complaint_rate"]
    assert bool(alerts) is alerted
    if alerted:
        assert alerts[0]["title"] == "spam complaints at 0.20% of the last 7 days' sends"
        ingest(db, NOW + timedelta(days=8))  # the complaint has left the window
        (alert,) = [a for a in rows(db, schema.alerts) if a["rule"] == "complaint_rate"]
        assert alert["status"] == "resolved"


def test_inbox_status_shows_bounces_by_reason_and_the_suppressions_they_caused(
    db: Database, maildir: Path
) -> None:
    gone = sent(db, "k1", "gone@client.example")
    _deliver(maildir, bounce(gone, "gone@client.example", "5.1.1", "550 5.1.1 User unknown", NOW))
    _deliver(maildir, arf(sent(db, "k2", "angry@client.example"), NOW, rcpt="angry@client.example"))
    ingest(db, NOW)
    env = {**os.environ, "STEWARD_DATABASE_URL": db.resolved_url()}
    with clock_at(NOW + timedelta(days=1)):
        out = steward(env, "inbox", "status").stdout
    assert "bounces and complaints, 30 days: complaint_abuse 1, user_unknown 1" in out
    assert "suppressed by bounces and complaints: bounce:user_unknown 1, complaint 1" in out
    with clock_at(NOW + timedelta(days=40)):
        out = steward(env, "inbox", "status").stdout
    assert "bounces and complaints, 30 days: none" in out


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_0009_finds_the_message_id_of_mail_sent_before_it(backend: str, tmp_path: Path) -> None:
    """Mail sent before 0009 kept its Message-ID only in provider_ref: the upgrade copies it, so
    a bounce of it still finds its row. On PostgreSQL as a plain owner, bound by row-level
    security as the application is."""
    if backend == "sqlite":
        url, admin_url = f"sqlite:///{tmp_path / 'm.db'}", None
    else:
        admin_url, url = owned_pg_database()
    db = Database(url=url)
    try:
        migrations.upgrade(db.engine, "0008")
        with db.engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO tenants (slug, name, settings) VALUES ('acme', 'Acme', '{}')"))
            tenant = conn.execute(sa.text("SELECT id FROM tenants")).scalar()
            if backend == "postgres":
                conn.execute(sa.text("SELECT set_config('steward.tenant_id', :t, true)"),
                             {"t": str(tenant)})
            conn.execute(sa.text(
                "INSERT INTO outbox (tenant_id, idempotency_key, kind, target, status, "
                "provider_ref) VALUES (:t, 'k1', 'send_email', 'c1@client.example', 'sent', "
                "'<abc.acme@acme.example> 250 2.0.0 Ok: queued as 4Fq'), "
                "(:t, 'k2', 'social_post', NULL, 'sent', 'post 981')"), {"t": tenant})
        migrations.upgrade(db.engine, "head")
        found = {r["idempotency_key"]: r["message_id"] for r in rows(db, schema.outbox)}
        assert found == {"k1": "abc.acme@acme.example", "k2": None}
    finally:
        db.engine.dispose()
        if admin_url:
            drop_pg_database(admin_url)


def no_recipient(n: int) -> bytes:
    """A malformed report: multipart/report whose delivery-status names nobody."""
    return (f"From: MAILER-DAEMON@mx.receiver.example\nTo: {OUR}\nSubject: failure notice\n"
            f"Message-ID: <broken.{n}@mx.receiver.example>\nDate: {format_datetime(NOW)}\n"
            "MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; "
            "boundary=\"R\"\n\n--R\nContent-Type: message/delivery-status\n\n"
            "Reporting-MTA: dns; mx\n\nAction: failed\nStatus: 5.0.0\n\n--R--\n").encode()


@pytest.mark.parametrize("db", ["postgres"], indirect=True)
def test_ten_thousand_bounces_in_one_run_are_all_stored_and_decided(
    db: Database, maildir: Path
) -> None:
    """The production backend; every kind of bounce mixed in one ingest of 10,000 reports."""
    kinds = {"gone": 4000, "full": 3000, "late": 2000, "ours": 500, "broken": 498, "cr": 2}
    raws: list[bytes] = []
    for n in range(kinds["gone"]):
        raws.append(bounce(f"g{n}@acme.example", f"gone{n}@client.example", "5.1.1",
                           "550 5.1.1 User unknown", NOW))
    for n in range(kinds["full"]):  # three each: they reach the soft limit within this run
        raws.append(bounce(f"f{n}@acme.example", f"full{n // 3}@client.example", "5.2.2",
                           "552 5.2.2 Mailbox full", NOW - timedelta(days=n % 3)))
    for n in range(kinds["late"]):
        raws.append(bounce(f"l{n}@acme.example", f"late{n}@client.example", "4.4.7",
                           "421 4.4.7 Still trying", NOW).replace(b"Action: failed",
                                                                   b"Action: delayed"))
    for n in range(kinds["ours"]):
        raws.append(bounce(f"o{n}@acme.example", f"fine{n}@big.example", "5.7.26",
                           "550 5.7.26 Unauthenticated email is not accepted due to the "
                           "domain's DMARC policy", NOW))
    raws += [no_recipient(n) for n in range(kinds["broken"])]
    raws += [bounce(f"c{n}@acme.example", f"cr{n}@client.example", "5.1.1",
                    "550 5.1.1 User unknown", NOW).replace(b"\n", b"\r") for n in range(2)]
    box = maildir.parent
    box.mkdir(parents=True, exist_ok=True)
    target = mailbox.Maildir(maildir, create=True)
    for raw in raws:
        target.add(raw)
    figures = ingest(db, NOW + timedelta(hours=1))
    assert figures["new"] == 10_000 and figures["quarantined"] == 0
    assert figures["bounce_user_unknown"] == 4002 and figures["bounce_mailbox_full"] == 3000
    assert figures["bounce_delayed"] == 2000 and figures["bounce_our_reputation"] == 500
    assert figures["suppressed_bounce_user_unknown"] == 4002
    assert figures["suppressed_bounce_soft_repeated"] == 1000
    assert figures["suppressed"] == 5002
    assert len(rows(db, schema.delivery_feedback)) == 4002 + 3000 + 2000 + 500
    (alert,) = [a for a in rows(db, schema.alerts) if a["rule"] == "bounce_our_reputation"]
    assert "500 bounces refused our mail" in alert["title"]
