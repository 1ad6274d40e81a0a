"""Bounces from sending services (Amazon SES, SendGrid, Zoho Mail) and mail gateways (McAfee,
Barracuda, Mimecast, Proofpoint): their own notices, and their refusals inside our MTA's report.

Written for this project from the services' documented formats (SES's "An error occurred
while trying to deliver the mail" report and suppression-list diagnostic, SendGrid's "This is an
automatically generated message from SendGrid" with its `Action: expired`, Zoho's "Invalid
Address, ERROR_CODE" lines, McAfee's "--- The following addresses had delivery problems ---"
with X-NAI-Header, Barracuda's "blocked by our bulk email filter", Mimecast's "Email Delivery
Failure" with "-- " lines and its published 5xx replies, Proofpoint's sendmail-based reports
and ipcheck replies), not copied mail. Each sample: (format, name, raw, failed recipient,
reason, outcome).
"""

from __future__ import annotations

import base64

from tests.mail.bounce_mail import DATE, OUR, dsn, message, original, plain, report
from tests.mail.bounce_samples_mta import postfix, sendmail


def ses(recipient: str, status: str, diagnostic: str, *, n: int) -> bytes:
    """Amazon SES's bounce to the sender: a report from MAILER-DAEMON@amazonses.com."""
    headers = ("From: MAILER-DAEMON@amazonses.com\n"
               f"To: {OUR}\nSubject: Delivery Status Notification (Failure)\nDate: {DATE}\n"
               f"Message-ID: <0100018c1a2b3c4d-{n:04d}-000000@email.amazonses.com>")
    human = ("An error occurred while trying to deliver the mail to the following recipients:\n"
             f"{recipient}\n")
    fields = ("Reporting-MTA: dns; a8-52.smtp-out.amazonses.com\n\n"
              f"Final-Recipient: rfc822; {recipient}\nAction: failed\nStatus: {status}\n"
              f"Remote-MTA: dns; mx.example.com\nDiagnostic-Code: {diagnostic}\n")
    return report(headers, human, fields, original(recipient, n),
                  boundary=f"----=_Part_{n}_1883421.1763305205")


AMAZON_SES = [
    ("Amazon SES", "user unknown", ses(
        "stale@example.com", "5.1.1",
        "smtp; 550 5.1.1 <stale@example.com>: Recipient address rejected: User unknown in "
        "virtual alias table", n=131), "stale@example.com", "user_unknown", "suppress"),
    ("Amazon SES", "on the account's suppression list", ses(
        "bounced.before@example.org", "5.1.1",
        "Amazon SES did not send the message to this address because it is on the suppression "
        "list for your account. For more information about removing addresses from the "
        "suppression list, see the Amazon SES Developer Guide at "
        "https://docs.aws.amazon.com/ses/latest/DeveloperGuide/remove-from-suppression-list.html",
        n=132), "bounced.before@example.org", "user_unknown", "suppress"),
    ("Amazon SES", "message expired", ses(
        "unreachable@example.net", "5.4.7",
        "smtp; 554 4.4.7 Message expired: unable to deliver in 840 minutes.<421 4.4.0 Unable "
        "to lookup DNS for example.net>", n=133),
     "unreachable@example.net", "expired", "soft"),
    ("Amazon SES", "recipient policy (receiver)", dsn(
        "p@corp.example.com", "5.7.1",
        "550 5.7.1 Delivery not authorized, message refused by recipient policy",
        sender="MAILER-DAEMON@amazonses.com"),
     "p@corp.example.com", "policy_block", "soft"),
]

SENDGRID_INTRO = """\
This is an automatically generated message from SendGrid.

I'm sorry to have to tell you that your message was not able to be
delivered to one of its intended recipients.

If you require assistance with this, please contact SendGrid support.

"""


def sendgrid(recipient: str, line: str, block: str, *, n: int) -> bytes:
    """SendGrid's bounce: Return-Path apps@sendgrid.net, one summary line per recipient."""
    headers = ("Return-Path: <apps@sendgrid.net>\n"
               "From: MAILER-DAEMON@mail.acme-appraisals.example\n"
               f"To: {OUR}\nSubject: Undelivered Mail Returned to Sender\nDate: {DATE}\n"
               f"Message-Id: <202611161500.5AGF0{n}@mail.acme-appraisals.example>\n"
               "X-Mailer: MIME-tools 5.502 (Entity 5.502)")
    fields = (f"X-SendGrid-QueueID: 9594791{n}\nX-SendGrid-Sender: "
              f"<bounces+61689-10be-{recipient.replace('@', '=')}@sendgrid.info>\n"
              "Arrival-Date: 2026-11-16 10-00-01\n\n"
              f"Final-Recipient: rfc822; {recipient}\nOriginal-Recipient: rfc822; {recipient}\n"
              f"{block}\n")
    return report(headers, SENDGRID_INTRO + line + "\n", fields, original(recipient, n),
                  boundary=f"----------=_1763305205-30315-{n}")


SENDGRID = [
    ("SendGrid", "user unknown", sendgrid(
        "alias@example.com",
        "alias:000000:<alias@example.com> : 192.0.2.250 : mx.example.com:[192.0.2.153] : "
        "550 5.1.1 <alias@example.com>... User Unknown  in RCPT TO",
        "Action: failed\nStatus: 5.1.1\nDiagnostic-Code: 550 5.1.1 <alias@example.com>... User "
        "Unknown", n=141), "alias@example.com", "user_unknown", "suppress"),
    ("SendGrid", "expired after connection timeouts", sendgrid(
        "quiet@example.org", "quiet:00000:<quiet@example.org> : Connection timed out in connect",
        "Action: expired\nStatus: \nDiagnostic-Code: Connection timed out", n=142),
     "quiet@example.org", "expired", "soft"),
    ("SendGrid", "our IP blocklisted", sendgrid(
        "lender@example.net",
        "lender:000000:<lender@example.net> : 192.0.2.250 : mx.example.net:[192.0.2.154] : "
        "554 5.7.1 Service unavailable; Client host [192.0.2.250] blocked using "
        "b.barracudacentral.org in RCPT TO",
        "Action: failed\nStatus: 5.7.1\nDiagnostic-Code: 554 5.7.1 Service unavailable; Client "
        "host [192.0.2.250] blocked using b.barracudacentral.org", n=143),
     "lender@example.net", "our_reputation", "ours"),
]

ZOHO_INTRO = """\
This message was created automatically by mail delivery software.
A message that you sent could not be delivered to one or more of its recip=
ients. This is a permanent error.=20

"""


def zoho(line: str, recipient: str, *, n: int) -> bytes:
    """Zoho Mail's bounce: multipart/mixed, one quoted-printable text part with the original's
    headers inline."""
    headers = ("Received: from mail.zoho.com by mx.zohomail.com\n    with SMTP id "
               f"1418381185105625.50305486743{n}; {DATE}\nDate: {DATE}\n"
               f"From: mailer-daemon@mail.zoho.com\nTo: {OUR}\n"
               f"Message-ID: <14a3e1b5025.afd54d4e.{n}@zohomail.com>\n"
               "Subject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\n"
               'Content-Type: multipart/mixed; \n    boundary="----=_Part_837_1127031491"\n'
               "X-ZohoMail: Si CHF_MF_NL SS_10 UW48 UB48 FMWL UW48 UB48 SGR3_1_09124_42\n"
               "X-Mailer: Zoho Mail")
    inline = (f"Received:from mail.zoho.com by mx.zohomail.com\n=09with SMTP id 14183811838853"
              f"{n}; {DATE}\nMessage-ID:<out.{n}@acme-appraisals.example>\n"
              f"Date:{DATE}\nFrom:Acme Appraisals <{OUR}>\nTo:<{recipient}>\n"
              "Subject:Checking in\n")
    return message(headers, "\n------=_Part_837_1127031491\nContent-Type: text/plain; "
                   'charset="UTF-8"\nContent-Transfer-Encoding: quoted-printable\n\n'
                   f"{ZOHO_INTRO}{line}\n\n\n{inline}------=_Part_837_1127031491--\n")


ZOHO = [
    ("Zoho", "user unknown, soft-wrapped", zoho(
        "member@example.com Invalid Address, ERROR_CODE :550, ERROR_CODE :5.1.=\n"
        "1 <member@example.com>... User Unknown", "member@example.com", n=151),
     "member@example.com", "user_unknown", "suppress"),
    ("Zoho", "mailbox unavailable", zoho(
        "past@example.org Invalid Address, ERROR_CODE :550, ERROR_CODE :Requested action not "
        "taken: mailbox unavailable", "past@example.org", n=152),
     "past@example.org", "user_unknown", "suppress"),
    ("Zoho", "host not reachable", zoho(
        "[Status: Error, Address: <far.away@example.net>, ResponseCode 421, , Host not "
        "reachable.]", "far.away@example.net", n=153),
     "far.away@example.net", "expired", "soft"),
]


def mcafee(recipient: str, reason: str, diagnostic: str, *, n: int) -> bytes:
    """McAfee Email Gateway's "Delivery Status": X-NAI-Header, a deliveryproblems.txt part and
    a loose delivery-status part (Original-Recipient without a type, no Status)."""
    headers = (f"Return-Path: <MAILER-DAEMON@gw.example.com>\nDate: {DATE}\nTo: <{OUR}>\n"
               "From: <MAILER-DAEMON@gw.example.com>\nMIME-Version: 1.0\n"
               "Content-Type: Multipart/Mixed;\n  boundary=\"------------Boundary-00=_7F6E5D\"\n"
               "X-NAI-Header: Modified by McAfee Email and Web Security Virtual Appliance\n"
               f"Subject: Delivery Status\nMessage-Id: <20261116150005.{n}A0B@gw.example.com>")
    body = f"""
--------------Boundary-00=_7F6E5D
Content-Type: text/plain; name="deliveryproblems.txt"

    --- The following addresses had delivery problems ---

<{recipient}>   ({reason})

--------------Boundary-00=_7F6E5D
Content-Type: message/delivery-status; name="deliverystatus.txt"

Original-Recipient: <{recipient}>
Action: failed
Diagnostic-Code: smtp; {diagnostic}
Remote-MTA: 192.0.2.192


--------------Boundary-00=_7F6E5D
Content-Type: message/rfc822
Content-Disposition: attachment

{original(recipient, n)}
--------------Boundary-00=_7F6E5D--
"""
    return message(headers, body)


MCAFEE = [
    ("McAfee", "unknown user", mcafee(
        "former@example.com", "Unknown user former@example.com",
        "550 Unknown user former@example.com", n=161),
     "former@example.com", "user_unknown", "suppress"),
    ("McAfee", "mailbox full", mcafee(
        "heavy@example.org", "Mailbox full heavy@example.org",
        "552 5.2.2 <heavy@example.org>... Mailbox full", n=162),
     "heavy@example.org", "mailbox_full", "soft"),
    ("McAfee", "our IP blocklisted", mcafee(
        "audit@example.net", "Blocked audit@example.net",
        "554 5.7.1 Service unavailable; Client host [198.51.100.10] blocked using "
        "bl.spamcop.net", n=163), "audit@example.net", "our_reputation", "ours"),
]


def barracuda_filter(recipient: str, *, n: int) -> bytes:
    """The Barracuda Spam Firewall's own report: a base64 notice and text/rfc822-headers."""
    notice = (f"\nYour message to: {recipient}\nwas blocked by our Spam Firewall. The email you "
              "sent with the following subject has NOT BEEN DELIVERED:\n\nSubject: Checking in\n\n")
    encoded = base64.encodebytes(notice.encode()).decode()
    headers = (f"Return-path: <>\nMIME-Version: 1.0\nFrom: MAILER-DAEMON <>\n"
               f"Message-Id: <225e2d6aad3309b153ecb16{n}@barracuda.example.com>\n"
               "Subject: **Message you sent blocked by our bulk email filter**\n"
               "Content-Type: multipart/report; report-type=delivery-status;\n    charset=utf-8;\n"
               '    boundary="----------=_1763305205-2022-220"\n'
               f"To: {OUR}\nDate: {DATE}")
    body = f"""
------------=_1763305205-2022-220
Content-Type: text/plain; charset="utf-8"
Content-Disposition: inline
Content-Transfer-Encoding: base64

{encoded}
------------=_1763305205-2022-220
Content-Type: message/delivery-status
Content-Disposition: inline
Content-Description: Delivery error report

Reporting-MTA: dns; barracuda.example.com
Arrival-Date: {DATE}

Final-Recipient: rfc822; {recipient}
Action: failed
Status: 5.7.1
Diagnostic-Code: smtp; 550 5.7.1 Message content rejected, UBE, id=00000-22-225

------------=_1763305205-2022-220
Content-Type: text/rfc822-headers
Content-Disposition: inline
Content-Description: Undelivered-message headers

{original(recipient, n).split(chr(10) * 2)[0]}

------------=_1763305205-2022-220--
"""
    return message(headers, body)


BARRACUDA = [
    ("Barracuda", "bulk email filter", barracuda_filter("counsel@example.com", n=171),
     "counsel@example.com", "content_filtered", "soft"),
    ("Barracuda", "Barracuda Reputation lists our IP", postfix(
        "office@example.org", "5.7.1",
        "smtp; 554 Service unavailable; Client host [198.51.100.10] blocked using Barracuda "
        "Reputation; http://www.barracudanetworks.com/reputation/?pr=1&ip=198.51.100.10",
        "<office@example.org>: host d123456a.ess.barracudanetworks.com[192.0.2.90] said:\n"
        "    554 Service unavailable; Client host [198.51.100.10] blocked using Barracuda\n"
        "    Reputation; http://www.barracudanetworks.com/reputation/?pr=1&ip=198.51.100.10\n"
        "    (in reply to RCPT TO command)\n", n=172),
     "office@example.org", "our_reputation", "ours"),
    ("Barracuda", "blocked by the recipient's policy", postfix(
        "intake@example.net", "5.0.0",
        "smtp; 550 permanent failure for one or more recipients (intake@example.net:blocked)",
        "<intake@example.net>: host d654321b.ess.barracudanetworks.com[192.0.2.91] said:\n"
        "    550 permanent failure for one or more recipients (intake@example.net:blocked)\n"
        "    (in reply to end of DATA command)\n", n=173),
     "intake@example.net", "policy_block", "soft"),
]


def mimecast_notice(recipient: str, problem: str, information: str, *, n: int) -> bytes:
    """Mimecast's own non-delivery notice: "-- " lines, a mimecast.lan Message-ID."""
    body = f"""\
Email Delivery Failure

An email that you attempted to send to the following address could not be delivered:

-- {recipient}

The problem appears to be :

-- {problem}

Additional information follows :

-- {information}

This could be due to a number of reasons:
- the address may be misspelt
- the mailbox may no longer exist

------ Original message headers ------

{original(recipient, n).split(chr(10) * 2)[0]}
"""
    return message(f"From: Postmaster <postmaster@acme-appraisals.example>\nTo: {OUR}\n"
                   f"Subject: Mimecast Email Delivery Failure\nDate: {DATE}\n"
                   f"Message-Id: <0123456789-{n}1102117314000@us-mta-25.us.mimecast.lan>\n"
                   "Auto-Submitted: auto-replied", body)


MIMECAST = [
    ("Mimecast", "invalid recipient", mimecast_notice(
        "unknown.person@example.com", "Recipient email address is possibly incorrect",
        "550 Invalid Recipient - https://community.mimecast.com/docs/DOC-1369#550", n=181),
     "unknown.person@example.com", "user_unknown", "suppress"),
    ("Mimecast", "envelope blocked by a user entry", postfix(
        "exec@example.org", "5.0.0",
        "smtp; 550 Envelope blocked - User Entry - https://community.mimecast.com/docs/"
        "DOC-1369#550 [aB1cD2eF3gH4iJ5kL6mN7o.uk123]",
        "<exec@example.org>: host eu-smtp-inbound-1.mimecast.com[192.0.2.100] said: 550\n"
        "    Envelope blocked - User Entry -\n"
        "    https://community.mimecast.com/docs/DOC-1369#550\n"
        "    [aB1cD2eF3gH4iJ5kL6mN7o.uk123] (in reply to RCPT TO command)\n", n=182),
     "exec@example.org", "policy_block", "soft"),
    ("Mimecast", "DMARC sender invalid", postfix(
        "partner@example.net", "5.0.0",
        "smtp; 550 DMARC Sender Invalid - envelope rejected - https://community.mimecast.com/"
        "docs/DOC-1369#550 [pQ9rS8tU7vW6xY5zA4bC3d.us456]",
        "<partner@example.net>: host us-smtp-inbound-1.mimecast.com[192.0.2.101] said: 550\n"
        "    DMARC Sender Invalid - envelope rejected -\n"
        "    https://community.mimecast.com/docs/DOC-1369#550\n"
        "    [pQ9rS8tU7vW6xY5zA4bC3d.us456] (in reply to RCPT TO command)\n", n=183),
     "partner@example.net", "our_reputation", "ours"),
    ("Mimecast", "internal resources temporarily unavailable", postfix(
        "queue@example.com", "4.0.0",
        "smtp; 451 Internal resources are temporarily unavailable - "
        "https://community.mimecast.com/docs/DOC-1369#451",
        "<queue@example.com>: host us-smtp-inbound-2.mimecast.com[192.0.2.102] said: 451\n"
        "    Internal resources are temporarily unavailable -\n"
        "    https://community.mimecast.com/docs/DOC-1369#451 (in reply to RCPT TO command)\n",
        action="delayed", n=184), "queue@example.com", "delayed", "delay"),
]

PROOFPOINT = [
    ("Proofpoint", "user unknown from the gateway", sendmail(
        "gone@example.com", "5.1.1", "550 5.1.1 <gone@example.com>... User not found", """\
   ----- The following addresses had permanent fatal errors -----
<gone@example.com>
    (reason: 550 5.1.1 <gone@example.com>... User not found)

   ----- Transcript of session follows -----
... while talking to mx0a-00123401.pphosted.com.:
>>> DATA
<<< 550 5.1.1 <gone@example.com>... User not found
550 5.1.1 <gone@example.com>... User unknown
""", n=191), "gone@example.com", "user_unknown", "suppress"),
    ("Proofpoint", "our IP blocked (ipcheck)", postfix(
        "ap@example.org", "5.7.1",
        "smtp; 554 5.7.1 Blocked - see https://ipcheck.proofpoint.com/?ip=198.51.100.10",
        "<ap@example.org>: host mx0b-00123402.pphosted.com[192.0.2.110] said: 554 5.7.1\n"
        "    Blocked - see https://ipcheck.proofpoint.com/?ip=198.51.100.10 (in reply to\n"
        "    MAIL FROM command)\n", n=192),
     "ap@example.org", "our_reputation", "ours"),
    ("Proofpoint", "content restrictions", postfix(
        "legal@example.net", "5.7.1",
        "smtp; 550 5.7.1 Message rejected due to content restrictions",
        "<legal@example.net>: host mx0a-00123403.pphosted.com[192.0.2.111] said: 550\n"
        "    5.7.1 Message rejected due to content restrictions (in reply to end of DATA\n"
        "    command)\n", n=193),
     "legal@example.net", "content_filtered", "soft"),
    ("Proofpoint", "Essentials rate limit", plain("""\
This is the mail system at host mx1-us1.ppe-hosted.com.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<sales@example.com>: host mx.example.com[192.0.2.112] said: 550 5.7.0
    Rejected: too many messages from your domain in the last hour (in reply to
    RCPT TO command)
""", subject="Undelivered Mail Returned to Sender",
        sender="Mail Delivery System <MAILER-DAEMON@mx1-us1.ppe-hosted.com>"),
     "sales@example.com", "rate_limited", "soft"),
]

SAMPLES = AMAZON_SES + SENDGRID + ZOHO + MCAFEE + BARRACUDA + MIMECAST + PROOFPOINT
