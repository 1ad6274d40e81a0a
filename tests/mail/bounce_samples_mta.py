"""Bounces from the mail servers: Postfix, Exim, Sendmail, qmail, Courier, OpenSMTPD, DragonFly
Mail Agent and HCL (IBM, Lotus) Domino, plus bare RFC 3464 reports with the receivers' words.

Written for this project from the servers' templates (Postfix bounce(8) and its bounce.cf
texts, Exim's "This message was created automatically" and delay-warning texts, sendmail's
"----- The following addresses had permanent fatal errors -----", qmail-send's "Hi. This is
the qmail-send program", Courier's courierdsn texts, OpenSMTPD's bounce.c, dma's mail.c,
Domino's "was not delivered to: ... because:"), not copied mail. Every address is ours or under
example.com/.org/.net. Each sample: (format, name, raw, failed recipient, reason, outcome).
"""

from __future__ import annotations

from tests.mail.bounce_mail import DATE, OUR, dsn, message, original, plain, report

POSTFIX_INTRO = """\
This is the mail system at host mx.acme-appraisals.example.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients. It's attached below.

For further assistance, please send mail to postmaster.

If you do so, please include this problem report. You can
delete your own text from the attached returned message.

                   The mail system
"""
POSTFIX_DELAY_INTRO = """\
This is the mail system at host mx.acme-appraisals.example.

####################################################################
# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #
####################################################################

Your message could not be delivered for more than 4 hour(s).
It will be retried until it is 5 day(s) old.

For further assistance, please send mail to postmaster.

If you do so, please include this problem report. You can
delete your own text from the attached returned message.

                   The mail system
"""


def postfix(recipient: str, status: str, diagnostic: str, said: str, *,
            action: str = "failed", n: int = 1) -> bytes:
    """Postfix's bounce: the human part names the recipient and what the remote host said;
    a delay warning attaches only the original's headers."""
    delayed = action == "delayed"
    subject = ("Delayed Mail (still being retried)" if delayed else
               "Undelivered Mail Returned to Sender")
    headers = (f"Return-Path: <>\nDate: {DATE}\n"
               "From: MAILER-DAEMON@mx.acme-appraisals.example (Mail Delivery System)\n"
               f"Subject: {subject}\n"
               f"To: {OUR}\nAuto-Submitted: auto-replied\n"
               f"Message-Id: <20261116150005.{n}F3A@mx.acme-appraisals.example>")
    fields = (f"Reporting-MTA: dns; mx.acme-appraisals.example\nX-Postfix-Queue-ID: {n}F3A\n"
              f"X-Postfix-Sender: rfc822; {OUR}\nArrival-Date: Mon, 16 Nov 2026 10:00:01 -0500\n\n"
              f"Final-Recipient: rfc822; {recipient}\nOriginal-Recipient: rfc822;{recipient}\n"
              f"Action: {action}\nStatus: {status}\nRemote-MTA: dns; mx.example.org\n"
              f"Diagnostic-Code: {diagnostic}\n")
    if delayed:
        fields += "Will-Retry-Until: Sat, 21 Nov 2026 10:00:01 -0500\n"
    attached = original(recipient, n)
    return report(headers, (POSTFIX_DELAY_INTRO if delayed else POSTFIX_INTRO) + "\n" + said,
                  fields, attached.split("\n\n")[0] + "\n" if delayed else attached,
                  attached_type="text/rfc822-headers" if delayed else "message/rfc822",
                  boundary=f"{n}F3A.1763305205/mx.acme-appraisals.example")


POSTFIX = [
    ("Postfix", "user unknown", postfix(
        "gone.away@example.org", "5.1.1",
        "smtp; 550 5.1.1 <gone.away@example.org>: Recipient address rejected: User unknown in "
        "virtual mailbox table",
        "<gone.away@example.org>: host mx.example.org[192.0.2.25] said: 550 5.1.1\n"
        "    <gone.away@example.org>: Recipient address rejected: User unknown in virtual\n"
        "    mailbox table (in reply to RCPT TO command)\n", n=1),
     "gone.away@example.org", "user_unknown", "suppress"),
    ("Postfix", "host not found", postfix(
        "someone@no-such-host.example.net", "5.4.4",
        "X-Postfix; Host or domain name not found. Name service error for "
        "name=no-such-host.example.net type=A: Host not found",
        "<someone@no-such-host.example.net>: Host or domain name not found. Name service\n"
        "    error for name=no-such-host.example.net type=A: Host not found\n", n=2),
     "someone@no-such-host.example.net", "host_unknown", "suppress"),
    ("Postfix", "greylisted, still trying", postfix(
        "later@example.com", "4.7.1",
        "smtp; 450 4.7.1 <later@example.com>: Recipient address rejected: Greylisted, see "
        "http://postgrey.example.com/",
        "<later@example.com>: host mx.example.com[192.0.2.26] said: 450 4.7.1\n"
        "    <later@example.com>: Recipient address rejected: Greylisted, see\n"
        "    http://postgrey.example.com/ (in reply to RCPT TO command)\n",
        action="delayed", n=3),
     "later@example.com", "delayed", "delay"),
    ("Postfix", "our IP on Spamhaus", postfix(
        "buyer@example.com", "5.7.1",
        "smtp; 554 5.7.1 Service unavailable; Client host [198.51.100.10] blocked using "
        "zen.spamhaus.org; https://www.spamhaus.org/query/ip/198.51.100.10",
        "<buyer@example.com>: host mx.example.com[192.0.2.26] said: 554 5.7.1 Service\n"
        "    unavailable; Client host [198.51.100.10] blocked using zen.spamhaus.org;\n"
        "    https://www.spamhaus.org/query/ip/198.51.100.10 (in reply to RCPT TO command)\n",
        n=4),
     "buyer@example.com", "our_reputation", "ours"),
    ("Postfix", "over quota until the queue gave up", postfix(
        "packed@example.net", "4.2.2", "smtp; 452 4.2.2 Over quota",
        "<packed@example.net>: host mx.example.net[192.0.2.27] said: 452 4.2.2 Over\n"
        "    quota (in reply to RCPT TO command)\n", n=5),
     "packed@example.net", "mailbox_full", "soft"),
    ("Postfix", "recipient access denied", postfix(
        "restricted@example.com", "5.7.1",
        "smtp; 554 5.7.1 <restricted@example.com>: Recipient address rejected: Access denied",
        "<restricted@example.com>: host mx.example.com[192.0.2.26] said: 554 5.7.1\n"
        "    <restricted@example.com>: Recipient address rejected: Access denied (in reply\n"
        "    to RCPT TO command)\n", n=6),
     "restricted@example.com", "policy_block", "soft"),
]

EXIM_INTRO = """\
This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

"""
EXIM_COPY = """
------ This is a copy of the message, including all the headers. ------

"""


def exim(recipient: str, failure: str, *, n: int) -> bytes:
    """Exim's bounce: plain text, X-Failed-Recipients, the copy of the message inline."""
    return plain(EXIM_INTRO + f"  {recipient}\n{failure}" + EXIM_COPY + original(recipient, n),
                 sender="Mail Delivery System <Mailer-Daemon@mail.example.com>",
                 extra=f"X-Failed-Recipients: {recipient}\nAuto-Submitted: auto-replied\n")


EXIM = [
    ("Exim", "no such user", exim("old.contact@example.com", """\
    host mx.example.com [192.0.2.30]
    SMTP error from remote mail server after RCPT TO:<old.contact@example.com>:
    550 5.1.1 No such user here
""", n=11), "old.contact@example.com", "user_unknown", "suppress"),
    ("Exim", "local quota", exim("stuffed@example.com", """\
    mailbox is full (MTA-imposed quota exceeded while writing to tmp/1763305205.H1P2.mail)
""", n=12), "stuffed@example.com", "mailbox_full", "soft"),
    ("Exim", "unrouteable domain", exim("agent@closed-down.example.net", """\
    Unrouteable address
""", n=13), "agent@closed-down.example.net", "host_unknown", "suppress"),
    ("Exim", "SPF refusal", exim("broker@example.org", f"""\
    host mx.example.org [192.0.2.31]
    SMTP error from remote mail server after MAIL FROM:<{OUR}> SIZE=2048:
    550 5.7.23 SPF check failed: acme-appraisals.example does not designate 198.51.100.10
    as permitted sender
""", n=14), "broker@example.org", "our_reputation", "ours"),
    ("Exim", "delay warning", plain(f"""\
This message was created automatically by mail delivery software.
A message that you sent has not yet been delivered to one or more of its
recipients after more than 24 hours on the queue on mail.example.com.

The message identifier is:     1sT2aB-000Abc-9X
The subject of the message is: Checking in
The date of the message is:    {DATE}

The address to which the message has not yet been delivered is:

  slowpoke@example.net
    host mx.example.net [192.0.2.32]
    Delay reason: SMTP error from remote mail server after RCPT TO:<slowpoke@example.net>:
    451 4.3.0 Temporary lookup failure

No action is required on your part. Delivery attempts will continue for
some time, and this warning may be repeated at intervals if the message
remains undelivered. Eventually the mail delivery software will give up,
and when that happens, the message will be returned to you.
""", subject="Warning: message 1sT2aB-000Abc-9X delayed 24 hours",
        sender="Mail Delivery System <Mailer-Daemon@mail.example.com>",
        extra="Auto-Submitted: auto-replied\n"),
     "slowpoke@example.net", "delayed", "delay"),
]

SENDMAIL_INTRO = """\
The original message was received at Mon, 16 Nov 2026 10:00:01 -0500
from mx.acme-appraisals.example [198.51.100.10]
"""


def sendmail(recipient: str, status: str, reply: str, human: str, *, action: str = "failed",
             subject: str = "Returned mail: see transcript for details", n: int) -> bytes:
    """sendmail's DSN: the "following addresses" block, a session transcript, the report."""
    headers = (f"Return-Path: <>\nDate: {DATE}\n"
               "From: Mail Delivery Subsystem <MAILER-DAEMON@mail.example.com>\n"
               f"To: <{OUR}>\nSubject: {subject}\nAuto-Submitted: auto-generated (failure)\n"
               f"Message-Id: <202611161500.5AGF05{n}@mail.example.com>")
    fields = ("Reporting-MTA: dns; mail.example.com\n"
              "Received-From-MTA: DNS; mx.acme-appraisals.example\n"
              "Arrival-Date: Mon, 16 Nov 2026 10:00:01 -0500\n\n"
              f"Final-Recipient: RFC822; {recipient}\nAction: {action}\nStatus: {status}\n"
              f"Remote-MTA: DNS; mx.example.com\nDiagnostic-Code: SMTP; {reply}\n"
              f"Last-Attempt-Date: {DATE}")
    return report(headers, SENDMAIL_INTRO + "\n" + human, fields, original(recipient, n),
                  boundary=f"5AGF05{n}.1763305205/mail.example.com")


SENDMAIL = [
    ("Sendmail", "user unknown", sendmail(
        "ghost@example.com", "5.1.1", "550 5.1.1 <ghost@example.com>... User unknown", """\
   ----- The following addresses had permanent fatal errors -----
<ghost@example.com>
    (reason: 550 5.1.1 <ghost@example.com>... User unknown)

   ----- Transcript of session follows -----
... while talking to mx.example.com.:
>>> RCPT To:<ghost@example.com>
<<< 550 5.1.1 <ghost@example.com>... User unknown
550 5.1.1 <ghost@example.com>... User unknown
""", n=21), "ghost@example.com", "user_unknown", "suppress"),
    ("Sendmail", "message too large", sendmail(
        "scans@example.com", "5.3.4",
        "552 5.3.4 Message size exceeds fixed maximum message size", """\
   ----- The following addresses had permanent fatal errors -----
<scans@example.com>
    (reason: 552 5.3.4 Message size exceeds fixed maximum message size)

   ----- Transcript of session follows -----
... while talking to mx.example.com.:
>>> MAIL From:<outreach@acme-appraisals.example> SIZE=31457280
<<< 552 5.3.4 Message size exceeds fixed maximum message size
554 5.0.0 Service unavailable
""", n=22), "scans@example.com", "message_too_large", "soft"),
    ("Sendmail", "warning: still trying", sendmail(
        "tardy@example.net", "4.4.7", "451 4.4.1 reply: read error from mx.example.net.", """\
   **********************************************
   **      THIS IS A WARNING MESSAGE ONLY      **
   **  YOU DO NOT NEED TO RESEND YOUR MESSAGE  **
   **********************************************

   ----- Transcript of session follows -----
451 4.4.1 reply: read error from mx.example.net.
<tardy@example.net>... Deferred: Connection timed out with mx.example.net.
Warning: message still undelivered after 4 hours
Will keep trying until message is 5 days old
""", action="delayed", subject="Warning: could not send message for past 4 hours", n=23),
     "tardy@example.net", "delayed", "delay"),
    ("Sendmail", "mailbox full, plain text", plain("""\
The original message was received at Mon, 16 Nov 2026 10:00:01 -0500
from localhost [127.0.0.1]

   ----- The following addresses had permanent fatal errors -----
<sm.user@example.org>
    (reason: 552 5.2.2 Mailbox is full)
""", subject="Returned mail: see transcript for details"),
     "sm.user@example.org", "mailbox_full", "soft"),
    ("Sendmail", "host unknown", plain("""\
The original message was received at Mon, 16 Nov 2026 10:00:01 -0500
from mx.acme-appraisals.example [198.51.100.10]

   ----- The following addresses had permanent fatal errors -----
<info@defunct.example.com>
    (reason: 550 Host unknown)

   ----- Transcript of session follows -----
550 5.1.2 <info@defunct.example.com>... Host unknown (Name server: defunct.example.com:
    host not found)
""", subject="Returned mail: Host unknown (Name server: defunct.example.com: host not found)",
        sender="Mail Delivery Subsystem <MAILER-DAEMON@mail.example.com>"),
     "info@defunct.example.com", "host_unknown", "suppress"),
]

QMAIL_INTRO = """\
Hi. This is the qmail-send program at mail.example.net.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

"""
QMAIL_COPY = "\n--- Below this line is a copy of the message.\n\n"


def qmail(failure: str, recipient: str, n: int) -> bytes:
    return plain(QMAIL_INTRO + failure + QMAIL_COPY + original(recipient, n),
                 subject="failure notice", sender="MAILER-DAEMON@mail.example.net")


QMAIL = [
    ("qmail", "remote user unknown", qmail("""\
<q.user@example.net>:
192.0.2.9 does not like recipient.
Remote host said: 550 5.1.1 <q.user@example.net>... User unknown
Giving up on 192.0.2.9.
""", "q.user@example.net", 31), "q.user@example.net", "user_unknown", "suppress"),
    ("qmail", "no mailbox here", qmail("""\
<nobody.home@example.net>:
Sorry, no mailbox here by that name. (#5.1.1)
""", "nobody.home@example.net", 32), "nobody.home@example.net", "user_unknown", "suppress"),
    ("qmail", "no such host", qmail("""\
<desk@gone-domain.example.org>:
Sorry, I couldn't find any host named gone-domain.example.org. (#5.1.2)
""", "desk@gone-domain.example.org", 33), "desk@gone-domain.example.org", "host_unknown",
     "suppress"),
    ("qmail", "over quota", qmail("""\
<hoarder@example.net>:
The users mailbox is over the allowed quota (size). (#5.2.2)
""", "hoarder@example.net", 34), "hoarder@example.net", "mailbox_full", "soft"),
    ("qmail", "queue lifetime", qmail("""\
<faraway@example.org>:
192.0.2.44 failed after I sent the message.
Remote host said: 451 Temporary local problem - please try later
I'm not going to try again; this message has been in the queue too long.
""", "faraway@example.org", 35), "faraway@example.org", "expired", "soft"),
]


def courier(recipient: str, human: str, block: str, *, delayed: bool = False, n: int) -> bytes:
    """Courier's DSN: From "Courier mail server at <host>", a courier.* Message-ID."""
    subject = "WARNING: delayed mail." if delayed else "NOTICE: mail delivery status."
    headers = (f"From: Courier mail server at mail.example.org <@>\nTo: {OUR}\n"
               f"Subject: {subject}\n"
               f"Message-ID: <courier.4D02EDDF.0000C6{n}@mail.example.org>\nDate: {DATE}")
    title = "DELAYS IN DELIVERING YOUR MESSAGE" if delayed else "UNDELIVERABLE MAIL"
    lead = ("Your message to the following recipients has not been delivered yet.\n"
            "Delivery attempts are continuing." if delayed else
            "Your message to the following recipients cannot be delivered:")
    text = f"""\
This is a delivery status notification from mail.example.org,
running the Courier mail server, version 1.1.8.

The original message was received on {DATE}
from mx.acme-appraisals.example [198.51.100.10]

---------------------------------------------------------------------------

                           {title}

{lead}

{human}
---------------------------------------------------------------------------

If your message was also sent to additional recipients, their delivery
status is not included in this report.
"""
    fields = ("Reporting-MTA: dns; mail.example.org\n"
              f"Arrival-Date: {DATE}\n\n"
              f"Final-Recipient: rfc822; {recipient}\n{block}")
    return report(headers, text, fields, original(recipient, n), boundary="=_courier_0")


COURIER = [
    ("Courier", "user unknown", courier("kit@example.com", """\
<kit@example.com>:
    mx.example.com [192.0.2.40]:
>>> RCPT TO:<kit@example.com>
<<< 550 5.1.1 <kit@example.com>... User Unknown
""", "Action: failed\nStatus: 5.0.0\nRemote-MTA: dns; mx.example.com [192.0.2.40]\n"
     "Diagnostic-Code: smtp; 550 5.1.1 <kit@example.com>... User Unknown", n=41),
     "kit@example.com", "user_unknown", "suppress"),
    ("Courier", "no such domain", courier("ops@vanished.example.net", """\
<ops@vanished.example.net>:
    No such domain.
""", "Action: failed\nStatus: 5.0.0", n=42),
     "ops@vanished.example.net", "host_unknown", "suppress"),
    ("Courier", "mailbox full", courier("brimming@example.org", """\
<brimming@example.org>:
    mx.example.org [192.0.2.41]:
>>> DATA
<<< 552 5.2.2 <brimming@example.org>... Mailbox full
""", "Action: failed\nStatus: 5.0.0\nRemote-MTA: dns; mx.example.org [192.0.2.41]\n"
     "Diagnostic-Code: smtp; 552 5.2.2 <brimming@example.org>... Mailbox full", n=43),
     "brimming@example.org", "mailbox_full", "soft"),
    ("Courier", "delayed", courier("waiting@example.net", """\
<waiting@example.net>:
    mx.example.net [192.0.2.42]:
<<< 421 4.3.2 Service not available, closing transmission channel
""", "Action: delayed\nStatus: 4.0.0\nRemote-MTA: dns; mx.example.net [192.0.2.42]\n"
     "Diagnostic-Code: smtp; 421 4.3.2 Service not available, closing transmission channel",
        delayed=True, n=44), "waiting@example.net", "delayed", "delay"),
]


def opensmtpd(lines: str, recipient: str, *, warning: bool = False, n: int) -> bytes:
    """OpenSMTPD's notice (bounce.c): indented text, one "address: reason" line each."""
    lead = ("    A message is delayed for more than 4 hours for the following\n"
            "    list of recipients:" if warning else
            "    An error has occurred while attempting to deliver a message for\n"
            "    the following list of recipients:")
    tail = ("\n    Please note that this is only a temporary failure report.\n"
            "    The message is kept in the queue for up to 4 days.\n"
            "    You DO NOT NEED to re-send the message to these recipients.\n" if warning
            else "")
    body = (f"    Hi!\n\n    This is the MAILER-DAEMON, please DO NOT REPLY to this email.\n\n"
            f"{lead}\n\n{lines}\n{tail}\n    Below is a copy of the original message:\n\n"
            f"{original(recipient, n)}")
    return plain(body, subject="Delivery status notification: "
                 + ("warning" if warning else "error"),
                 sender="Mailer Daemon <MAILER-DAEMON@smtpd.example.net>",
                 extra="Received: from smtpd.example.net (OpenSMTPD) with ESMTP id 1a2b3c4d\n")


OPENSMTPD = [
    ("OpenSMTPD", "mailbox full", opensmtpd(
        "o.user@example.com: 552 5.2.2 <o.user@example.com>... Mailbox Full",
        "o.user@example.com", n=51), "o.user@example.com", "mailbox_full", "soft"),
    ("OpenSMTPD", "user unknown", opensmtpd(
        "nope@example.org: 550 5.1.1 <nope@example.org>: Recipient address rejected: User "
        "unknown in local recipient table", "nope@example.org", n=52),
     "nope@example.org", "user_unknown", "suppress"),
    ("OpenSMTPD", "domain does not exist", opensmtpd(
        "desk@never-registered.example.net: Domain does not exist",
        "desk@never-registered.example.net", n=53),
     "desk@never-registered.example.net", "host_unknown", "suppress"),
    ("OpenSMTPD", "delayed", opensmtpd(
        "busy@example.net: 421 4.7.0 mx.example.net Error: too many connections, try again "
        "later", "busy@example.net", warning=True, n=54),
     "busy@example.net", "delayed", "delay"),
]


def dragonfly(recipient: str, transcript: str, *, newline: str = "\n", n: int) -> bytes:
    """dma (DragonFly Mail Agent): `From: MAILER-DAEMON <>`, the original's headers inline."""
    headers = ("Received: from MAILER-DAEMON\n\tid e0720\n\tby df.example.com (DragonFly Mail "
               f"Agent v0.13);\n\t{DATE}\nX-Original-To: <{recipient}>\n"
               f"From: MAILER-DAEMON <>\nTo: {OUR}\nSubject: Mail delivery failed\n"
               f"Message-Id: <e07{n}@df.example.com>\nDate: {DATE}")
    body = (f"This is the DragonFly Mail Agent v0.13 at df.example.com.\n\n"
            f"There was an error delivering your mail to <{recipient}>.\n\n{transcript}\n"
            f"Message headers follow.\n\n" + original(recipient, n).split("\n\n")[0] + "\n")
    return message(headers, body, newline=newline)


DRAGONFLY = [
    ("DragonFly", "DMARC refusal, CR-only lines", dragonfly("lead@example.com", """\
gmail-smtp-in.l.google.com [192.0.2.60] did not like our final DATA:
550-5.7.26 Unauthenticated email from acme-appraisals.example is not accepted due to domain's
550-5.7.26 DMARC policy. Please contact the administrator of acme-appraisals.example domain if
550-5.7.26 this was a legitimate mail. To learn about the DMARC initiative, go
550 5.7.26 to https://support.google.com/mail/?p=DmarcRejection - gsmtp
""", newline="\r", n=61), "lead@example.com", "our_reputation", "ours"),
    ("DragonFly", "user unknown", dragonfly("left@example.org", """\
mx.example.org [192.0.2.61] did not like our RCPT TO:
550 5.1.1 <left@example.org>: Recipient address rejected: User unknown in local recipient table
""", n=62), "left@example.org", "user_unknown", "suppress"),
    ("DragonFly", "mailbox full", dragonfly("crammed@example.net", """\
mx.example.net [192.0.2.62] did not like our RCPT TO:
552 5.2.2 <crammed@example.net>: Recipient address rejected: Mailbox full
""", n=63), "crammed@example.net", "mailbox_full", "soft"),
]


def domino(recipient: str, because: str, *, subject: str) -> bytes:
    """Domino's failure report: plain text, "was not delivered to: ... because: ..."."""
    return message(
        f"Return-Path: <MAILER-DAEMON@mail.example.com>\nDate: {DATE}\n"
        f"From: Postmaster@example.com\nTo: Sender Address <{OUR}>\n"
        f"Subject: DELIVERY FAILURE: {subject}\nContent-Type: Text/Plain\n"
        f"Message-ID: <OF0A1B2C3D-ON85258A.{recipient.split('@')[0]}@example.com>",
        f"Your message\n\n  Subject: Checking in\n\nwas not delivered to:\n\n  {recipient}\n\n"
        f"because:\n\n  {because}\n\n")


DOMINO = [
    ("Domino", "not in the Domino Directory", domino(
        "pat.lee@example.com",
        "User pat.lee (pat.lee@example.com) not listed in Domino Directory",
        subject="User pat.lee (pat.lee@example.com) not listed in Domino Directory"),
     "pat.lee@example.com", "user_unknown", "suppress"),
    ("Domino", "not in the public Name & Address Book", domino(
        "r.kim@example.com",
        "User r.kim (r.kim@example.com) not listed in public Name & Address Book",
        subject="User r.kim (r.kim@example.com) not listed in public Name & Address Book"),
     "r.kim@example.com", "user_unknown", "suppress"),
    ("Domino", "remote mailbox full", domino(
        "filled@example.org",
        "Error transferring to mx.example.org; SMTP Protocol Returned a Permanent Error 552 "
        "5.2.2 Mailbox full",
        subject="Error transferring to mx.example.org; SMTP Protocol Returned a Permanent "
        "Error 552 5.2.2 Mailbox full"),
     "filled@example.org", "mailbox_full", "soft"),
    ("Domino", "our IP blocklisted", domino(
        "cfo@example.net",
        "Error transferring to mx.example.net; SMTP Protocol Returned a Permanent Error 554 "
        "5.7.1 Service unavailable; Client host [198.51.100.10] blocked using bl.spamcop.net",
        subject="Error transferring to mx.example.net; SMTP Protocol Returned a Permanent "
        "Error"), "cfo@example.net", "our_reputation", "ours"),
]

# Bare RFC 3464 reports with receivers' words from across the field (reason table coverage).
RFC3464 = [
    ("RFC 3464", "moved", dsn("old@example.com", "5.1.6",
     "551 5.1.6 User has moved; no forwarding"), "old@example.com", "address_moved", "suppress"),
    ("RFC 3464", "too large", dsn("big@example.com", "5.3.4",
     "552 5.3.4 Message size exceeds fixed maximum message size"), "big@example.com",
     "message_too_large", "soft"),
    ("RFC 3464", "spam content", dsn("x@example.com", "5.7.1",
     "550 5.7.1 Message rejected as spam by Content Filtering."), "x@example.com",
     "content_filtered", "soft"),
    ("RFC 3464", "bad spf", dsn("y@example.com", "5.7.1", "550 5.7.1 Bad SPF records for "
     "[acme-appraisals.example:198.51.100.10]"), "y@example.com", "our_reputation", "ours"),
    ("RFC 3464", "rate limited", dsn("r@example.com", "5.7.0", "554 5.7.0 Too many messages, "
     "rate limit exceeded"), "r@example.com", "rate_limited", "soft"),
    ("RFC 3464", "expired after retries", dsn("t@example.com", "4.4.7",
     "Delivery time expired after 5 days", action="failed"), "t@example.com", "expired",
     "soft"),
    ("RFC 3464", "only the class", dsn("n@example.com", "5.0.0", "550 No such user here"),
     "n@example.com", "user_unknown", "suppress"),
    ("RFC 3464", "suspended", dsn("s@example.net", "5.0.0", "550 Account suspended"),
     "s@example.net", "suspended", "soft"),
    ("RFC 3464", "cr only lines", dsn("cr@example.com", "5.1.1", "550 5.1.1 user unknown",
     newline="\r"), "cr@example.com", "user_unknown", "suppress"),
    ("RFC 3464", "crlf lines", dsn("crlf@example.com", "5.2.2", "552 5.2.2 Mailbox full",
     newline="\r\n"), "crlf@example.com", "mailbox_full", "soft"),
]

SAMPLES = POSTFIX + EXIM + SENDMAIL + QMAIL + COURIER + OPENSMTPD + DRAGONFLY + DOMINO + RFC3464
