"""What comes back from a campaign counts on it, through the real ingest: the one-click
unsubscribe mail (the mailto target of List-Unsubscribe) suppresses its sender, a reply counts
as a reply, bounce reports count as bounces; a bounce rate over the tenant's threshold pauses
the campaign with an alert, and the `broadcasts` asset's `broadcast_bounce_rate` check warns."""

from __future__ import annotations

import mailbox
from email.message import EmailMessage, Message
from pathlib import Path

import dagster as dg

from assets.broadcasts import broadcasts
from assets.inbox import inbox
from assets.partitions import TENANTS, partition_tags
from resources.database import Database
from resources.mailer import Mailer
from resources.store import schema
from resources.store.tenants import update_tenant
from tests.helpers import clock_at, resources, rows
from tests.smtp_sink import SmtpSink
from tests.test_broadcasts import (  # noqa: F401 (the fixture)
    MONDAY,
    Cycles,
    at,
    campaign,
    mailed,
    progress,
    recipients,
    shop,
    start,
)


def deliver(maildir: Path, msg: Message) -> None:
    mailbox.Maildir(maildir, create=False).add(msg.as_bytes())


def person(sender: str, subject: str, body: str, in_reply_to: str | None = None) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, "news@acme.example", subject
    msg["Date"] = "Mon, 01 Mar 2027 09:20:00 -0500"
    msg["Message-ID"] = f"<{abs(hash((sender, subject)))}@client.example>"
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    msg.set_content(body)
    return msg


def bounce(address: str, original: Message) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "MAILER-DAEMON@mx.client.example"
    msg["To"], msg["Subject"] = "news@acme.example", "Undelivered Mail Returned to Sender"
    msg["Date"] = "Mon, 01 Mar 2027 09:25:00 -0500"
    msg["Message-ID"] = f"<dsn.{address}@mx.client.example>"
    msg["Auto-Submitted"] = "auto-replied"
    msg.set_content(f"Your message could not be delivered to <{address}>.\n")
    msg.make_mixed()
    msg.replace_header("Content-Type", 'multipart/report; report-type="delivery-status"')
    status, per_message, per_recipient = Message(), Message(), Message()
    status["Content-Type"] = "message/delivery-status"
    per_message["Reporting-MTA"] = "dns; mx.client.example"
    per_recipient["Final-Recipient"] = f"rfc822; {address}"
    per_recipient["Action"] = "failed"
    per_recipient["Status"] = "5.1.1"
    per_recipient["Diagnostic-Code"] = "smtp; 550 5.1.1 User unknown"
    status.set_payload([per_message, per_recipient])
    msg.attach(status)
    headers = EmailMessage()
    headers.set_content(f"From: news@acme.example\nTo: {address}\n"
                        f"Message-ID: {original['Message-ID']}\nSubject: {original['Subject']}\n",
                        subtype="rfc822-headers")
    del headers["MIME-Version"]
    msg.attach(headers)
    return msg


def materialize(db: Database, asset, when) -> dg.ExecuteInProcessResult:
    with clock_at(when), dg.DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions(TENANTS, ["acme"])
        result = dg.materialize([asset], instance=instance, tags=partition_tags(["acme"]),
                                resources=resources(db))
    assert result.success
    return result


def test_unsubscribes_replies_and_bounces_count_and_bounces_pause_it(
        shop: Database, tmp_path: Path) -> None:  # noqa: F811
    update_tenant(shop, "acme", settings_patch={"broadcasts": {"batch_size": 20,
                                                               "bounce_pause_pct": 8.0}})
    maildir = tmp_path / "mailbox"
    with SmtpSink() as sink:
        cycles = Cycles(shop, Mailer(smtp_url=sink.url(), timeout_s=5))
        campaign(shop, at(MONDAY, 8))
        start(shop, at(MONDAY, 8))
        cycles.at(at(MONDAY, 9))
        sent = {r.recipients[0]: r.message for r in sink.received
                if (r.key or "").startswith("broadcast:")}
        assert len(sent) == 20
        first, second, third, fourth, fifth = sorted(sent)[:5]
        deliver(maildir, person(first, "unsubscribe", ""))  # what the mailto target sends
        deliver(maildir, person(second, f"Re: {sent[second]['Subject']}", "Yes please, send "
                                "me the rate sheet.", sent[second]["Message-ID"]))
        for address in (third, fourth):
            deliver(maildir, bounce(address, sent[address]))
        materialize(shop, inbox, at(MONDAY, 9, 40))
        suppressed = {r["email"]: r["reason"] for r in rows(shop, schema.suppressions)}
        assert suppressed[first] == "unsubscribe"
        cycles.at(at(MONDAY, 10))
        assert len(mailed(sink)) == 20, "a campaign over its bounce threshold went on"

    state = progress(shop, at(MONDAY, 10, 30))
    assert (state.stats.unsubscribed, state.stats.replied, state.stats.bounced) == (1, 1, 2)
    assert state.stats.bounce_pct == 10.0
    status = {a: r["status"] for a, r in recipients(shop).items()}
    assert (status[first], status[second], status[third], status[fifth]) == (
        "unsubscribed", "replied", "bounced", "sent")
    assert state.campaign["status"] == "paused" and state.campaign["paused_by"] == "steward"
    assert "bounce rate 10.0% (2 of 20)" in state.campaign["note"]
    (alert,) = [a for a in rows(shop, schema.alerts) if a["rule"] == "broadcast_paused"]
    assert alert["severity"] == "critical" and "spring" in alert["title"]
    result = materialize(shop, broadcasts, at(MONDAY, 11))
    (check,) = [c for c in result.get_asset_check_evaluations()
                if c.check_name == "broadcast_bounce_rate"]
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    assert check.metadata["campaigns_over"].value == 1
    assert check.metadata["highest_pct"].value == 10.0
