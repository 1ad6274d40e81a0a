"""A corpus of bounces in the formats MTAs and providers document (RFC 3464/3463 reports,
Postfix, Exim, Sendmail, qmail, Exchange/Office 365, Gmail, Yahoo, Amazon SES, OpenSMTPD), each
with the reason, the outcome and the failed address it must give, and junk that must never be
suppressed. Written for this project from the documented formats, not copied mail."""

from __future__ import annotations

import pytest

from agent.mail.bounce_reasons import REASONS, outcome_for, reason_for
from agent.mail.bounces import bounce_from, valid_recipient
from agent.mail.parse import parse_message

OUR = "outreach@acme-appraisals.example"


def dsn(recipient: str, status: str, diagnostic: str, *, action: str = "failed",
        sender: str = "MAILER-DAEMON@mx.acme-appraisals.example", newline: str = "\n",
        original_to: str | None = None) -> bytes:
    """An RFC 3464 report as Postfix, Sendmail, Exchange, SES and Gmail send it."""
    to = original_to or recipient
    text = f"""\
Return-Path: <>
From: Mail Delivery System <{sender}>
To: {OUR}
Subject: Undelivered Mail Returned to Sender
Message-ID: <dsn.{abs(hash((recipient, status, diagnostic)))}@mx.example>
Date: Mon, 16 Nov 2026 10:00:05 -0500
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="R"

--R
Content-Type: text/plain

Your message could not be delivered to one or more recipients.

--R
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.acme-appraisals.example

Final-Recipient: rfc822; {recipient}
Action: {action}
Status: {status}
Diagnostic-Code: smtp; {diagnostic}

--R
Content-Type: message/rfc822

From: {OUR}
To: {to}
Subject: Checking in
Message-ID: <out.77@acme-appraisals.example>

Hi.

--R--
"""
    return text.replace("\n", newline).encode()


def plain(body: str, *, subject: str = "Mail delivery failed: returning message to sender",
          sender: str = "Mail Delivery System <Mailer-Daemon@mx.example>",
          extra: str = "", newline: str = "\n") -> bytes:
    """A plain-text bounce, as Exim, qmail, OpenSMTPD, Yahoo and older Exchange send them."""
    text = (f"From: {sender}\nTo: {OUR}\nSubject: {subject}\n{extra}"
            f"Date: Mon, 16 Nov 2026 10:00:05 -0500\nMessage-ID: <p.{abs(hash(body))}@mx.example>"
            f"\n\n{body}")
    return text.replace("\n", newline).encode()


# (name, raw, recipient, reason, outcome)
REPORTS = [
    ("postfix user unknown", dsn("gone@lender.example", "5.1.1",
     "550 5.1.1 <gone@lender.example>: Recipient address rejected: User unknown in virtual "
     "mailbox table"), "gone@lender.example", "user_unknown", "suppress"),
    ("gmail no such user", dsn("nobody.here@gmail.example", "5.1.1",
     "550-5.1.1 The email account that you tried to reach does not exist.",
     sender="mailer-daemon@googlemail.com"), "nobody.here@gmail.example", "user_unknown",
     "suppress"),
    ("o365 recipient not found", dsn("left@contoso.example", "5.1.10",
     "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup",
     sender="postmaster@contoso.example"), "left@contoso.example", "user_unknown", "suppress"),
    ("host unknown", dsn("a@no-such-domain.example", "5.1.2",
     "Host or domain name not found. Name service error"), "a@no-such-domain.example",
     "host_unknown", "suppress"),
    ("moved", dsn("old@firm.example", "5.1.6", "551 5.1.6 User has moved; no forwarding"),
     "old@firm.example", "address_moved", "suppress"),
    ("disabled", dsn("off@gmail.example", "5.2.1",
     "550-5.2.1 The email account that you tried to reach is disabled."), "off@gmail.example",
     "not_accepting", "suppress"),
    ("mailbox full", dsn("full@lender.example", "5.2.2",
     "552 5.2.2 Mailbox full; quota exceeded"), "full@lender.example", "mailbox_full", "soft"),
    ("gmail quota", dsn("q@gmail.example", "5.2.2",
     "552-5.2.2 The email account that you tried to reach is over quota."), "q@gmail.example",
     "mailbox_full", "soft"),
    ("too large", dsn("big@lender.example", "5.3.4",
     "552 5.3.4 Message size exceeds fixed maximum message size"), "big@lender.example",
     "message_too_large", "soft"),
    ("spam content", dsn("x@lender.example", "5.7.1",
     "550 5.7.1 Message rejected as spam by Content Filtering."), "x@lender.example",
     "content_filtered", "soft"),
    ("bad spf", dsn("y@lender.example", "5.7.1", "550 5.7.1 Bad SPF records for "
     "[acme-appraisals.example:192.0.2.1]"), "y@lender.example", "our_reputation", "ours"),
    ("spamhaus", dsn("z@lender.example", "5.7.1", "554 5.7.1 Service unavailable; Client host "
     "[192.0.2.1] blocked using zen.spamhaus.org"), "z@lender.example", "our_reputation", "ours"),
    ("gmail dmarc", dsn("d@gmail.example", "5.7.26", "550-5.7.26 Unauthenticated email from "
     "acme-appraisals.example is not accepted due to domain's DMARC policy."), "d@gmail.example",
     "our_reputation", "ours"),
    ("ses policy", dsn("p@corp.example", "5.7.1", "550 5.7.1 Delivery not authorized, message "
     "refused by recipient policy", sender="MAILER-DAEMON@amazonses.com"), "p@corp.example",
     "policy_block", "soft"),
    ("rate limited", dsn("r@yahoo.example", "5.7.0", "554 5.7.0 Too many messages, rate limit "
     "exceeded"), "r@yahoo.example", "rate_limited", "soft"),
    ("delay", dsn("slow@lender.example", "4.4.7", "421 4.4.7 Connection timed out",
     action="delayed"), "slow@lender.example", "delayed", "delay"),
    ("expired after retries", dsn("t@lender.example", "4.4.7",
     "Delivery time expired after 5 days", action="failed"), "t@lender.example", "expired",
     "soft"),
    ("only the class", dsn("n@lender.example", "5.0.0", "550 No such user here"),
     "n@lender.example", "user_unknown", "suppress"),
    ("suspended", dsn("s@isp.example", "5.0.0", "550 Account suspended"), "s@isp.example",
     "suspended", "soft"),
    ("cr only lines", dsn("cr@lender.example", "5.1.1", "550 5.1.1 user unknown",
     newline="\r"), "cr@lender.example", "user_unknown", "suppress"),
]

PLAIN = [
    ("exim", plain("""This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  old.contact@titleco.example
    host mx.titleco.example [198.51.100.4]
    SMTP error from remote mail server after RCPT TO:<old.contact@titleco.example>:
    550 5.1.1 No such user here

------ This is a copy of the message, including all the headers. ------

From: outreach@acme-appraisals.example
To: old.contact@titleco.example
"""), "old.contact@titleco.example", "user_unknown", "suppress"),
    ("qmail", plain("""Hi. This is the qmail-send program at mail.isp.example.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<q.user@isp.example>:
192.0.2.9 does not like recipient.
Remote host said: 550 5.1.1 <q.user@isp.example>... User unknown
Giving up on 192.0.2.9.

--- Below this line is a copy of the message.
""", subject="failure notice"), "q.user@isp.example", "user_unknown", "suppress"),
    ("opensmtpd", plain("""Hi!

This is the MAILER-DAEMON, please DO NOT REPLY to this email.

An error has occurred while attempting to deliver a message for
the following list of recipients:

o.user@smtpd.example: 552 5.2.2 Mailbox full

Below is a copy of the original message:
""", subject="Delivery status notification: error", sender="MAILER-DAEMON@smtpd.example"),
     "o.user@smtpd.example", "mailbox_full", "soft"),
    ("exchange 2003", plain("""Your message did not reach some or all of the intended recipients.

      Subject:  Checking in
      Sent:     11/16/2026 10:00 AM

The following recipient(s) could not be reached:

      ex.user@corp.example on 11/16/2026 10:00 AM
            The e-mail account does not exist at the organization this message was sent to.
            <mail.corp.example #5.1.1>
""", subject="Undeliverable: Checking in", sender="System Administrator <postmaster@corp.example>"),
     "ex.user@corp.example", "user_unknown", "suppress"),
    ("o365 text", plain("""Your message to o365.user@contoso.example couldn't be delivered.
o365.user wasn't found at contoso.example.

Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found'
""", subject="Undeliverable: Checking in",
        sender="Microsoft Outlook <MicrosoftExchange329e71ec@contoso.example>",
        extra="X-Failed-Recipients: o365.user@contoso.example\nAuto-Submitted: auto-replied\n"),
     "o365.user@contoso.example", "user_unknown", "suppress"),
    ("yahoo", plain("""Sorry, we were unable to deliver your message to the following address.

<y.user@yahoo.example>:
554: delivery error: dd This user doesn't have a yahoo.example account (y.user@yahoo.example)
""", subject="Failure Notice", sender="MAILER-DAEMON@yahoo.example"),
     "y.user@yahoo.example", "user_unknown", "suppress"),
    ("null from, no return path", plain("""This is the mail system at host mx.example.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<np.user@lender.example>: host mx.lender.example said: 550 5.1.1 User unknown
""", subject="Delivery status notification: error", sender="MAILER-DAEMON <>"),
     "np.user@lender.example", "user_unknown", "suppress"),
    ("did not reach", plain("""Delivery has failed to these recipients or groups:

dnr.user@corp.example
The email address you entered couldn't be found.

Diagnostic information for administrators:
Remote Server returned '550 5.1.1 User unknown'
""", subject="Message not delivered", sender="postmaster@corp.example"),
     "dnr.user@corp.example", "user_unknown", "suppress"),
    ("gmail delay", plain("""Delivery to the following recipient has been delayed:

     slow@lender.example

Message will be retried for 2 more day(s)
""", subject="Delivery Status Notification (Delay)",
        sender="Mail Delivery Subsystem <mailer-daemon@googlemail.com>"),
     "slow@lender.example", "delayed", "delay"),
    ("sendmail mailbox full", plain("""The original message was received at Mon, 16 Nov 2026
from localhost [127.0.0.1]

   ----- The following addresses had permanent fatal errors -----
<sm.user@lender.example>
    (reason: 552 5.2.2 Mailbox is full)
""", subject="Returned mail: see transcript for details"),
     "sm.user@lender.example", "mailbox_full", "soft"),
]


@pytest.mark.parametrize(("name", "raw", "recipient", "reason", "outcome"), REPORTS + PLAIN,
                         ids=[c[0] for c in REPORTS + PLAIN])
def test_corpus(name: str, raw: bytes, recipient: str, reason: str, outcome: str) -> None:
    bounce = bounce_from(parse_message(raw))
    assert bounce is not None, name
    assert [f.recipient for f in bounce.failures] == [recipient]
    (failure,) = bounce.failures
    assert (failure.reason, failure.outcome) == (reason, outcome)
    assert failure.reason in REASONS and failure.evidence
    assert bounce.hard == (outcome == "suppress")


@pytest.mark.parametrize("junk", ['"|/usr/bin/procmail"@host.example', "/var/spool/mail/x",
                                  "@a.example,@b.example:x@y.example", "@mx.example.org",
                                  "mailer-daemon@mx.example", "postmaster@lender.example"])
def test_junk_is_never_a_recipient(junk: str) -> None:
    assert not valid_recipient(junk.lower())
    raw = dsn(junk, "5.1.1", "550 5.1.1 user unknown")
    bounce = bounce_from(parse_message(raw))
    assert bounce is None or all(valid_recipient(f.recipient) for f in bounce.failures)


def test_help_desk_and_mail_host_quoted_in_text_are_not_suppressed() -> None:
    raw = plain("""Your message could not be delivered to the following recipient:

    gone@client.example: 550 5.1.1 User unknown

If you need help, write to helpdesk@isp.example or postmaster@mx.isp.example.
Delivery failed at smtp.isp.example (relay@mx.isp.example).
""")
    bounce = bounce_from(parse_message(raw))
    assert bounce is not None and bounce.recipients == ["gone@client.example"]


def test_virus_scanner_naming_eleven_addresses_suppresses_none() -> None:
    names = "\n".join(f"  user{i}@corp.example rejected" for i in range(11))
    raw = plain(f"Delivery failed: virus found in message. Recipients:\n{names}\n",
                subject="Undeliverable: virus alert", sender="postmaster@gateway.example")
    assert bounce_from(parse_message(raw)) is None


def test_attached_original_decides_the_recipient() -> None:
    raw = plain("""Your message could not be delivered.
Reason: 550 5.1.1 mailbox unavailable

------ Original message follows ------
""") + b"""
"""
    # The text names no address: the original's only recipient is the failed one.
    report = dsn("", "5.1.1", "550 5.1.1 mailbox unavailable", original_to="only@lender.example")
    bounce = bounce_from(parse_message(report))
    assert bounce is not None and bounce.recipients == ["only@lender.example"]
    assert bounce_from(parse_message(raw)) is None  # names nobody, no original attached


def test_malformed_report_naming_no_recipient_does_not_crash() -> None:
    raw = dsn("not an address", "5.1.1", "garbage")
    msg = parse_message(raw)
    bounce = bounce_from(msg)
    assert bounce is None or all(valid_recipient(f.recipient) for f in bounce.failures)


def test_bounce_of_a_bounce_never_names_our_address() -> None:
    inner = dsn("gone@lender.example", "5.1.1", "550 5.1.1 user unknown").decode()
    outer = dsn(OUR, "5.1.1", "550 5.1.1 user unknown").decode().replace(
        f"From: {OUR}\nTo: {OUR}", f"From: {OUR}\nTo: {OUR}")
    outer = outer.replace("Hi.\n", inner)
    bounce = bounce_from(parse_message(outer.encode()))
    assert bounce is None or OUR not in bounce.recipients


def test_success_report_is_not_a_bounce() -> None:
    raw = dsn("fine@lender.example", "2.0.0", "250 2.0.0 OK", action="delivered")
    assert bounce_from(parse_message(raw)) is None


@pytest.mark.parametrize(("status", "text", "reason"), [
    ("5.1.1", "User unknown", "user_unknown"),
    ("5.7.1", "Message rejected: listed at bl.spamcop.net", "our_reputation"),
    ("5.7.1", "recipient not listed in public directory", "user_unknown"),
    ("4.2.2", "mailbox full", "delayed"),
    ("5.0.0", "quota exceeded", "mailbox_full"),
    ("5.0.0", "", "other"),
])
def test_reason_table(status: str, text: str, reason: str) -> None:
    assert reason_for(status, text) == reason
    assert outcome_for(reason) in ("suppress", "soft", "delay", "ours")
