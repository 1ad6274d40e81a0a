"""Bounces: RFC 3464 delivery status notifications and the plain-text kind."""

from __future__ import annotations

from agent.mail.analyze import analyze
from agent.mail.bounces import bounce_from
from agent.mail.parse import parse_message
from tests.mail.helpers import OURS, mail

HARD_DSN = b"""\
Return-Path: <>
Received: from mx.lender.example by mx.acme-appraisals.example; Mon, 16 Nov 2026 10:00:05 -0500
From: Mail Delivery System <MAILER-DAEMON@mx.acme-appraisals.example>
To: outreach@acme-appraisals.example
Subject: Undelivered Mail Returned to Sender
Date: Mon, 16 Nov 2026 10:00:05 -0500
Message-ID: <20261116150005.ABC@mx.acme-appraisals.example>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
 boundary="B1"

--B1
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.acme-appraisals.example.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<Gone.Away@Lender.example>: host mx.lender.example[192.0.2.7] said: 550 5.1.1
    <gone.away@lender.example>: Recipient address rejected: User unknown

--B1
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.acme-appraisals.example
X-Postfix-Queue-ID: ABC
Arrival-Date: Mon, 16 Nov 2026 10:00:01 -0500

Final-Recipient: rfc822; Gone.Away@Lender.example
Original-Recipient: rfc822;gone.away@lender.example
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.lender.example
Diagnostic-Code: smtp; 550 5.1.1 <gone.away@lender.example>: Recipient address
    rejected: User unknown

--B1
Content-Description: Undelivered Message
Content-Type: message/rfc822

From: outreach@acme-appraisals.example
To: gone.away@lender.example
Subject: Checking in
Message-ID: <out.1234@acme-appraisals.example>
Date: Mon, 16 Nov 2026 10:00:00 -0500

Hi, just checking in.

--B1--
"""

SOFT_DSN = b"""\
From: postmaster@mx.acme-appraisals.example
To: outreach@acme-appraisals.example
Subject: Delivery Status Notification (Delay)
Date: Tue, 17 Nov 2026 09:00:00 +0000
Message-ID: <delay.1@mx.acme-appraisals.example>
Content-Type: multipart/report; report-type="delivery-status"; boundary="S"

--S
Content-Type: text/plain

Delivery to the following recipient has been delayed: full@lender.example

--S
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.acme-appraisals.example

Final-Recipient: rfc822; full@lender.example
Action: delayed
Status: 4.2.2
Diagnostic-Code: smtp; 452 4.2.2 Mailbox full
Will-Retry-Until: Fri, 20 Nov 2026 09:00:00 +0000

--S
Content-Type: text/rfc822-headers

From: outreach@acme-appraisals.example
To: full@lender.example
Message-ID: <out.5678@acme-appraisals.example>
Subject: Quote Q-2001

--S--
"""


def test_hard_dsn() -> None:
    msg = parse_message(HARD_DSN)
    assert msg.delivery_reports[0]["action"] == "failed"
    assert msg.delivery_reports[0]["final-recipient"] == "rfc822; Gone.Away@Lender.example"
    assert msg.bounced_message_id == "out.1234@acme-appraisals.example"
    bounce = bounce_from(msg)
    assert bounce is not None
    assert bounce.recipients == ["gone.away@lender.example"]
    assert bounce.status == "5.1.1" and bounce.hard
    assert bounce.diagnostic is not None and "User unknown" in bounce.diagnostic
    facts = analyze(msg, OURS)
    assert facts.label.name == "bounce" and "5.1.1" in facts.label.reason
    assert facts.signature is None and facts.signals == [] and facts.loop_suspected is None


def test_soft_dsn() -> None:
    msg = parse_message(SOFT_DSN)
    assert msg.bounced_message_id == "out.5678@acme-appraisals.example"
    bounce = bounce_from(msg)
    assert bounce is not None
    assert (bounce.recipients, bounce.status, bounce.hard) == (["full@lender.example"], "4.2.2",
                                                              False)
    # The quote number in the returned headers is ours, not a reference made by the sender.
    assert analyze(msg, OURS).label.name == "bounce"


def test_hard_failures_win_over_delays_in_one_report() -> None:
    both = SOFT_DSN.replace(b"Will-Retry-Until", b"\nFinal-Recipient: rfc822; dead@lender.example"
                            b"\nAction: failed\nStatus: 5.2.1\nX-Note")
    bounce = bounce_from(parse_message(both))
    assert bounce is not None
    assert (bounce.recipients, bounce.status, bounce.hard) == (["dead@lender.example"], "5.2.1",
                                                              True)


def test_success_report_is_not_a_bounce() -> None:
    delivered = SOFT_DSN.replace(b"Action: delayed", b"Action: delivered")
    assert bounce_from(parse_message(delivered)) is None


EXIM = """\
This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  old.contact@titleco.example
    host mx.titleco.example [198.51.100.4]
    SMTP error from remote mail server after RCPT TO:<old.contact@titleco.example>:
    550 5.1.1 No such user here

------ This is a copy of the message, including all the headers. ------

From: outreach@acme-appraisals.example
To: old.contact@titleco.example, cc.person@titleco.example
Subject: Checking in
"""


def test_plain_text_bounce_from_mailer_daemon() -> None:
    msg = parse_message(mail(EXIM, From="Mail Delivery System <Mailer-Daemon@mx.example>",
                             To="outreach@acme-appraisals.example",
                             Subject="Mail delivery failed: returning message to sender"))
    bounce = bounce_from(msg)
    assert bounce is not None
    assert bounce.recipients == ["old.contact@titleco.example"]
    assert bounce.status == "5.1.1" and bounce.hard
    assert bounce.diagnostic == "550 5.1.1 No such user here"


def test_x_failed_recipients_header() -> None:
    msg = parse_message(mail("Your message to several people failed. Details follow.\n",
                             From="Microsoft Outlook <postmaster@outlook.example>",
                             Subject="Undeliverable: Checking in",
                             X_Failed_Recipients="A@X.example, b@y.example"))
    bounce = bounce_from(msg)
    assert bounce is not None and bounce.recipients == ["a@x.example", "b@y.example"]
    # No code and no reason in the text: a failure of unknown cause is soft, never suppressed
    # (it used to be: any 5.x.x suppressed).
    assert bounce.status == "5.0.0" and bounce.reason == "other" and not bounce.hard


def test_gmail_style_failure_with_temporary_wording_is_soft() -> None:
    body = ("Delivery to the following recipient has been delayed:\n\n"
            "     slow@lender.example\n\nMessage will be retried for 2 more day(s)\n")
    msg = parse_message(mail(body, From="Mail Delivery Subsystem <mailer-daemon@googlemail.com>",
                             Subject="Delivery Status Notification (Delay)"))
    bounce = bounce_from(msg)
    assert bounce is not None and bounce.recipients == ["slow@lender.example"]
    assert not bounce.hard and bounce.status == "4.0.0"


def test_person_writing_about_undeliverable_mail_is_not_a_bounce() -> None:
    msg = parse_message(mail("My email to bob@x.example was undeliverable, can you check?\n",
                             Subject="Undeliverable address?"))
    assert bounce_from(msg) is None


def test_a_text_bounce_quoting_a_thread_suppresses_only_the_failed_address() -> None:
    from agent.mail.bounces import bounce_from
    from agent.mail.parse import parse_message

    raw = (
        b"From: Mail Delivery System <MAILER-DAEMON@mx.acme.example>\n"
        b"To: ops@acme.example\nSubject: Undeliverable: Re: inspection\n"
        b"Message-ID: <b1@mx.acme.example>\n\n"
        b"Your message could not be delivered to the following recipient:\n"
        b"    gone@client.example\n\n"
        b"Earlier in the thread Sam Jones <sam@client.example> wrote that\n"
        b"Pat <pat@other.example> and lee@third.example will be at the property.\n"
    )
    bounce = bounce_from(parse_message(raw))
    assert bounce is not None and bounce.recipients == ["gone@client.example"]


def test_a_failed_pipe_on_the_recipients_server_does_not_suppress_the_address() -> None:
    body = ("This message was created automatically by mail delivery software.\n\n"
            "A message that you sent could not be delivered to one or more of its\n"
            "recipients. This is a permanent error. The following address(es) failed:\n\n"
            "  pipe to |/usr/local/bin/ticket-handler\n"
            "    generated by support-inbox@example.com\n"
            "    Child process of address_pipe transport returned 127 (could mean unable to\n"
            "    exec or command does not exist) from command: /usr/local/bin/ticket-handler\n")
    msg = parse_message(mail(body, From="Mail Delivery System <Mailer-Daemon@mx.example.com>",
                             To="outreach@acme-appraisals.example",
                             Subject="Mail delivery failed: returning message to sender"))
    bounce = bounce_from(msg)
    assert bounce is not None and bounce.recipients == ["support-inbox@example.com"]
    assert (bounce.reason, bounce.hard) == ("other", False)


def test_a_local_file_failure_names_the_address_it_was_expanded_from() -> None:
    body = ("   ----- The following addresses had permanent fatal errors -----\n"
            "/var/spool/mail/jdoe\n"
            "    (reason: Cannot open /var/spool/mail/jdoe: Permission denied)\n"
            "    (expanded from: <jdoe@example.com>)\n")
    msg = parse_message(mail(body, From="Mail Delivery Subsystem <MAILER-DAEMON@mx.example.com>",
                             To="outreach@acme-appraisals.example",
                             Subject="Returned mail: see transcript for details"))
    bounce = bounce_from(msg)
    assert bounce is not None and bounce.recipients == ["jdoe@example.com"]
    assert not bounce.hard


def test_a_final_report_of_a_temporary_failure_is_not_a_delay() -> None:
    body = ("Hi. This is the qmail-send program at mail.example.net.\n"
            "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
            "This is a permanent error; I've given up. Sorry it didn't work out.\n\n"
            "<far@example.org>:\n192.0.2.44 failed after I sent the message.\n"
            "Remote host said: 451 Temporary local problem - please try later\n"
            "I'm not going to try again; this message has been in the queue too long.\n")
    msg = parse_message(mail(body, From="MAILER-DAEMON@mail.example.net",
                             To="outreach@acme-appraisals.example", Subject="failure notice"))
    bounce = bounce_from(msg)
    assert bounce is not None and bounce.recipients == ["far@example.org"]
    assert (bounce.status, bounce.reason, bounce.hard) == ("4.0.0", "expired", False)


def test_a_localized_exchange_subject_is_a_bounce() -> None:
    body = ("Ihre Nachricht hat einige oder alle Empfänger nicht erreicht.\n\n"
            "      Betreff:  Checking in\n\n"
            "Die Nachricht konnte für folgende Empfänger nicht zugestellt werden:\n\n"
            "      m.weber@example.com am 16.11.2026 10:00\n"
            "            Das E-Mail-Konto ist nicht vorhanden.\n"
            "            <mail.example.com #5.1.1>\n")
    msg = parse_message(mail(body, From="Systemadministrator <postmaster@example.com>",
                             To="outreach@acme-appraisals.example",
                             Subject="Unzustellbar: Checking in"))
    bounce = bounce_from(msg)
    assert bounce is not None and bounce.recipients == ["m.weber@example.com"]
    assert (bounce.status, bounce.hard) == ("5.1.1", True)
