"""Bounces from Microsoft Exchange (2003, 2007-2019), Office 365, Gmail, Yahoo and Outlook.com:
their own non-delivery reports when they sent for us, and their words inside our MTA's report
when they received.

Written for this project from the documented formats (Exchange's "did not reach the following
recipient(s)" and "Delivery has failed to these recipients or groups", the Office 365 NDR
with "Diagnostic information for administrators", Gmail's "** Address not found **", Yahoo's
"Sorry, we were unable to deliver your message", Hotmail's "This is an automatically generated
Delivery Status Notification") and the providers' published SMTP replies, not copied mail.
Each sample: (format, name, raw, failed recipient, reason, outcome).
"""

from __future__ import annotations

from tests.mail.bounce_mail import DATE, OUR, dsn, message, original, plain, report
from tests.mail.bounce_samples_mta import postfix


def exchange2003_text(body: str, recipient: str, *, n: int) -> bytes:
    """Exchange 2000/2003 (and 5.5's Internet Mail Service): multipart/mixed, a text part in
    Outlook's words, our message attached."""
    headers = (f"From: System Administrator <postmaster@corp.example.com>\nTo: {OUR}\n"
               f"Subject: Undeliverable: Checking in\nDate: {DATE}\n"
               f"Message-ID: <A1B2C3D4E5F6{n}@mail.corp.example.com>\nMIME-Version: 1.0\n"
               "X-MS-Embedded-Report: \nX-Mailer: Internet Mail Service (5.5.2653.19)\n"
               'Content-Type: multipart/mixed; boundary="----_=_NextPart_000_01C230A7"')
    return message(headers, "This message is in MIME format. Since your mail reader does not "
                   "understand\nthis format, some or all of this message may not be legible.\n\n"
                   "------_=_NextPart_000_01C230A7\nContent-Type: text/plain;\n"
                   f'\tcharset="iso-8859-1"\n\n{body}\n------_=_NextPart_000_01C230A7\n'
                   f"Content-Type: message/rfc822\n\n{original(recipient, n)}\n"
                   "------_=_NextPart_000_01C230A7--\n")


def exchange2003_report(recipient: str, status: str, why: str, *, n: int) -> bytes:
    """Exchange 2003's SMTP NDR: the same words, with an RFC 3464 report."""
    headers = (f"From: System Administrator <postmaster@corp.example.com>\nTo: {OUR}\n"
               f"Subject: Undeliverable: Checking in\nDate: {DATE}\nX-MS-Embedded-Report: \n"
               f"Message-ID: <B2C3D4E5F6A1{n}@mail.corp.example.com>")
    human = f"""\
Your message

  To:      {recipient}
  Subject: Checking in
  Sent:    Mon, 16 Nov 2026 10:00:00 -0500

did not reach the following recipient(s):

{recipient} on Mon, 16 Nov 2026 10:00:05 -0500
    {why}
    <mail.corp.example.com #{status}>
"""
    fields = ("Reporting-MTA: dns;mail.corp.example.com\n\n"
              f"Final-Recipient: rfc822;{recipient}\nAction: failed\nStatus: {status}\n")
    return report(headers, human, fields, original(recipient, n), boundary="9B095B5ADSN=_01")


EXCHANGE_2003 = [
    ("Exchange 2003", "account does not exist", plain(
        """Your message did not reach some or all of the intended recipients.

      Subject:  Checking in
      Sent:     11/16/2026 10:00 AM

The following recipient(s) could not be reached:

      ex.user@corp.example.com on 11/16/2026 10:00 AM
            The e-mail account does not exist at the organization this message was sent to.
            <mail.corp.example.com #5.1.1>
""", subject="Undeliverable: Checking in",
        sender="System Administrator <postmaster@corp.example.com>"),
     "ex.user@corp.example.com", "user_unknown", "suppress"),
    ("Exchange 2003", "IMS unknown recipient", exchange2003_text("""\
Your message

  To:      Dana Fox
  Subject: Checking in
  Sent:    Mon, 16 Nov 2026 10:00:00 -0500

did not reach the following recipient(s):

dana.fox@corp.example.com on Mon, 16 Nov 2026 10:00:04 -0500
    The recipient name is not recognized
\tThe MTS-ID of the original message is: c=us;a= ;p=corp;l=MAIL01-261116150004Z-1
    MSEXCH:IMS:Corp:CORPUS:MAIL01 0 (000C05A6)
Unknown Recipient
""", "dana.fox@corp.example.com", n=71), "dana.fox@corp.example.com", "user_unknown",
     "suppress"),
    ("Exchange 2003", "IMS size limit, quoted address", exchange2003_text("""\
Your message did not reach some or all of the intended recipients.

     Subject:\tChecking in
     Sent:\t11/16/2026 10:00 AM

The following recipient(s) could not be reached:

     'lee.park@corp.example.com' on 11/16/2026 10:01 AM
  The content length of the message is too long for the recipient to take delivery.
  The MTS-ID of the original message is: c=US;a=;p=Corp;l=MAIL01-261116150100Z-2
           MSEXCH:IMS:Corp:CORPUS:MAIL01 3903 (000B099C)
  Message exceeds size limit.
""", "lee.park@corp.example.com", n=72), "lee.park@corp.example.com", "message_too_large",
     "soft"),
    ("Exchange 2003", "mailbox full", exchange2003_report(
        "full.box@corp.example.com", "5.2.2",
        "The recipient's mailbox is full and can't accept messages now. Please try resending "
        "this message later, or contact the recipient directly.", n=73),
     "full.box@corp.example.com", "mailbox_full", "soft"),
    ("Exchange 2003", "time limit expired", exchange2003_report(
        "remote@example.net", "4.4.7",
        "Could not deliver the message in the time limit specified. Please retry or contact "
        "your administrator.", n=74),
     "remote@example.net", "expired", "soft"),
]


def exchange(recipient: str, status: str, diagnostic: str, human: str, *,
             action: str = "failed", subject: str = "Undeliverable: Checking in",
             final: str | None = None, n: int) -> bytes:
    """Exchange 2007-2019 and Office 365: the NDR's words, then a report; the sender is the
    organisation's MicrosoftExchange mailbox. `final` is a Final-Recipient other than the
    address we sent to (Exchange's IMCEAEX encapsulation of an internal X.500 address)."""
    headers = ("From: Microsoft Outlook\n <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e"
               f"@acme-appraisals.example>\nTo: {OUR}\nSubject: {subject}\nDate: {DATE}\n"
               f"Message-ID: <c1d2e3f4-{n:04d}-4a5b-9c8d-0e1f2a3b4c5d@acme-appraisals.example>\n"
               "X-MS-Exchange-Message-Is-Ndr: \nThread-Topic: Checking in")
    fields = ("Reporting-MTA: dns;MAIL01.acme-appraisals.example\n"
              f"Received-From-MTA: dns;MAIL01.acme-appraisals.example\nArrival-Date: {DATE}\n\n"
              f"Original-Recipient: rfc822;{recipient}\n"
              f"Final-Recipient: rfc822;{final or recipient}\nAction: {action}\n"
              f"Status: {status}\n"
              + (f"Diagnostic-Code: smtp;{diagnostic}\n" if diagnostic else ""))
    return report(headers, human, fields, original(recipient, n).split("\n\n")[0] + "\n",
                  attached_type="text/rfc822-headers", boundary=f"_000_NDR{n}_")


EXCHANGE = [
    ("Exchange 2007-2019", "Exchange 2010 recipient not found", exchange(
        "pat.lee@example.com", "5.1.1", "550 5.1.1 RESOLVER.ADR.RecipNotFound; not found", """\
Delivery has failed to these recipients or groups:

Pat Lee (pat.lee@example.com)
The e-mail address you entered couldn't be found. Please check the recipient's e-mail address
and try to resend the message. If the problem continues, please contact your helpdesk.

Diagnostic information for administrators:

Generating server: MAIL01.acme-appraisals.example

pat.lee@example.com
#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##

Original message headers:
""", n=81), "pat.lee@example.com", "user_unknown", "suppress"),
    ("Exchange 2007-2019", "Exchange 2016 quota exceeded", exchange(
        "big.inbox@example.org", "5.2.2",
        "554 5.2.2 mailbox full; STOREDRV.Deliver.Exception:QuotaExceededException."
        "MapiExceptionShutoffQuotaExceeded; Failed to process message due to a permanent "
        "exception", """\
Your message to big.inbox@example.org couldn't be delivered.

big.inbox's mailbox is full.

Diagnostic information for administrators:

Generating server: MAIL01.acme-appraisals.example
big.inbox@example.org
Remote Server returned '554 5.2.2 mailbox full;
STOREDRV.Deliver.Exception:QuotaExceededException.MapiExceptionShutoffQuotaExceeded'
""", n=82), "big.inbox@example.org", "mailbox_full", "soft"),
    ("Exchange 2007-2019", "Exchange 2013 group needs authenticated senders", exchange(
        "all-staff@example.com", "5.7.1", "550 5.7.1 RESOLVER.RST.AuthRequired; authentication "
        "required", """\
Delivery has failed to these recipients or groups:

All Staff (all-staff@example.com)
Your message wasn't delivered because the recipient's e-mail provider rejected it.

Diagnostic information for administrators:

Generating server: MAIL01.acme-appraisals.example
all-staff@example.com
#550 5.7.1 RESOLVER.RST.AuthRequired; authentication required ##
""", n=83), "all-staff@example.com", "policy_block", "soft"),
    ("Exchange 2007-2019", "Exchange 2019 delayed", exchange(
        "eventually@example.net", "4.4.7", "", """\
Delivery is delayed to these recipients or groups:

eventually@example.net

Subject: Checking in

This message hasn't been delivered yet. Delivery will continue to be attempted.

The server will keep trying to deliver this message for the next 1 days, 19 hours and 57
minutes. You'll be notified if the message can't be delivered by that time.
""", action="delayed", subject="Delivery delayed:Checking in", n=84),
     "eventually@example.net", "delayed", "delay"),
    ("Exchange 2007-2019", "internal X.500 final recipient", exchange(
        "j.smith@example.com", "5.1.1",
        "550 5.1.1 RESOLVER.ADR.ExRecipNotFound; not found", """\
Delivery has failed to these recipients or groups:

Jo Smith
The e-mail address you entered couldn't be found. Please check the recipient's e-mail address
and try to resend the message.
""", final="IMCEAEX-_o=Corp_ou=Exchange_cn=Recipients_cn=jsmith@corp.example.com", n=85),
     "j.smith@example.com", "user_unknown", "suppress"),
]


def office365(recipient: str, status: str, diagnostic: str, headline: str, *, n: int) -> bytes:
    """Office 365's NDR: "Your message to ... couldn't be delivered", then the remote reply."""
    human = f"""\
Your message to {recipient} couldn't be delivered.

{headline}

Diagnostic information for administrators:

Generating server: BN6PR11MB1953.namprd11.prod.outlook.com
{recipient}
Remote Server returned '{diagnostic}'

Original message headers:
"""
    headers = ("From: Microsoft Outlook <postmaster@acmeappraisals.onmicrosoft.com>\n"
               f"To: {OUR}\nSubject: Undeliverable: Checking in\nDate: {DATE}\n"
               f"Message-ID: <d2e3f4a5-{n:04d}-4b6c-8d9e-1f2a3b4c5d6e@BN6PR11MB1953."
               "namprd11.prod.outlook.com>\nAuto-Submitted: auto-replied\n"
               "X-MS-Exchange-Message-Is-Ndr: ")
    fields = ("Reporting-MTA: dns;BN6PR11MB1953.namprd11.prod.outlook.com\n"
              f"Received-From-MTA: dns;BN6PR11MB1953.namprd11.prod.outlook.com\n"
              f"Arrival-Date: {DATE}\n\n"
              f"Original-Recipient: rfc822;{recipient}\nFinal-Recipient: rfc822;{recipient}\n"
              f"Action: failed\nStatus: {status}\nDiagnostic-Code: smtp;{diagnostic}\n")
    return report(headers, human, fields, original(recipient, n).split("\n\n")[0] + "\n",
                  attached_type="text/rfc822-headers", boundary=f"_000_O365{n}_")


OFFICE_365 = [
    ("Office 365", "recipient not found, report", dsn(
        "left@contoso.example.com", "5.1.10",
        "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup",
        sender="postmaster@contoso.example.com"),
     "left@contoso.example.com", "user_unknown", "suppress"),
    ("Office 365", "recipient not found, text", plain(
        """Your message to o365.user@contoso.example.com couldn't be delivered.
o365.user wasn't found at contoso.example.com.

Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found'
""", subject="Undeliverable: Checking in",
        sender="Microsoft Outlook <MicrosoftExchange329e71ec@contoso.example.com>",
        extra="X-Failed-Recipients: o365.user@contoso.example.com\nAuto-Submitted: auto-replied\n"),
     "o365.user@contoso.example.com", "user_unknown", "suppress"),
    ("Office 365", "DMARC reject", office365(
        "cio@fabrikam.example.com", "5.7.509",
        "550 5.7.509 Access denied, sending domain acme-appraisals.example does not pass DMARC "
        "verification and has a DMARC policy of reject.",
        "Your message wasn't delivered because the recipient's email provider rejected it.",
        n=91), "cio@fabrikam.example.com", "our_reputation", "ours"),
    ("Office 365", "banned sending IP", office365(
        "buyer@fabrikam.example.com", "5.7.606",
        "550 5.7.606 Access denied, banned sending IP [198.51.100.10]. To request removal from "
        "this list please visit https://sender.office.com/ and follow the directions.",
        "Your message couldn't be delivered because the sending IP address is on a block list.",
        n=92), "buyer@fabrikam.example.com", "our_reputation", "ours"),
    ("Office 365", "group restricted to authenticated senders", office365(
        "board@fabrikam.example.com", "5.7.133",
        "550 5.7.133 RESOLVER.RST.SenderNotAuthenticatedForGroup; authentication required; "
        "Delivery restriction check failed because the sender was not authenticated when "
        "sending to this group",
        "Your message couldn't be delivered because delivery to this group is restricted to "
        "authenticated senders.", n=93),
     "board@fabrikam.example.com", "policy_block", "soft"),
    ("Office 365", "mailbox full", office365(
        "overflow@fabrikam.example.com", "5.2.2",
        "554 5.2.2 mailbox full; STOREDRV.Deliver.Exception:QuotaExceededException."
        "MapiExceptionShutoffQuotaExceeded",
        "overflow's mailbox is full.", n=94),
     "overflow@fabrikam.example.com", "mailbox_full", "soft"),
    ("Office 365", "directory-based edge blocking", office365(
        "ex.employee@fabrikam.example.com", "5.4.1",
        "550 5.4.1 Recipient address rejected: Access denied. AS(201806281) "
        "[CO1NAM11FT012.eop-nam11.prod.protection.outlook.com]",
        "ex.employee wasn't found at fabrikam.example.com.", n=95),
     "ex.employee@fabrikam.example.com", "user_unknown", "suppress"),
    ("Office 365", "traffic not accepted from our IP", office365(
        "ops@fabrikam.example.com", "5.7.708",
        "550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP. For "
        "more information please go to http://go.microsoft.com/fwlink/?LinkId=526653",
        "Your message couldn't be delivered because the sending IP address isn't accepted.",
        n=96), "ops@fabrikam.example.com", "our_reputation", "ours"),
]


def gmail(recipient: str, title: str, lead: str, response: str, block: str, *,
          n: int) -> bytes:
    """Gmail / Google Workspace's NDR from mailer-daemon@googlemail.com."""
    headers = ("From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\n"
               f"To: {OUR}\nAuto-Submitted: auto-replied\nSubject: Delivery Status Notification "
               f"(Failure)\nDate: {DATE}\nMessage-ID: <5f1a2b3c.{n}.gmr@mx.google.com>\n"
               f"References: <out.{n}@acme-appraisals.example>\n"
               f"In-Reply-To: <out.{n}@acme-appraisals.example>\n"
               "X-Failed-Recipients: " + recipient)
    human = f"""\
** {title} **

{lead}

The response was:

{response}
"""
    fields = ("Reporting-MTA: dns; googlemail.com\nReceived-From-MTA: dns; "
              f"{OUR}\nArrival-Date: {DATE}\n"
              f"X-Original-Message-ID: <out.{n}@acme-appraisals.example>\n\n"
              f"Final-Recipient: rfc822; {recipient}\n{block}\nLast-Attempt-Date: {DATE}\n")
    return report(headers, human, fields, original(recipient, n),
                  boundary=f"000000000000a1b2c3{n}")


GMAIL = [
    ("Gmail", "address not found", gmail(
        "no.one@example.com", "Address not found",
        "Your message wasn't delivered to no.one@example.com because the address couldn't be "
        "found, or is unable to receive mail.",
        "550 5.1.1 <no.one@example.com>: Recipient address rejected: User unknown in virtual "
        "alias table",
        "Action: failed\nStatus: 5.1.1\nRemote-MTA: dns; mx.example.com. (192.0.2.70, the server "
        "for the domain example.com.)\nDiagnostic-Code: smtp; 550 5.1.1 <no.one@example.com>: "
        "Recipient address rejected: User unknown in virtual alias table", n=101),
     "no.one@example.com", "user_unknown", "suppress"),
    ("Gmail", "domain not found", gmail(
        "sales@misspelt-domain.example.net", "Address not found",
        "Your message wasn't delivered to sales@misspelt-domain.example.net because the domain "
        "misspelt-domain.example.net couldn't be found. Check for typos or unnecessary spaces "
        "and try again.",
        "DNS Error: 27622 DNS type 'mx' lookup of misspelt-domain.example.net responded with "
        "code NXDOMAIN Domain name not found: misspelt-domain.example.net",
        "Action: failed\nStatus: 5.1.2\nDiagnostic-Code: DNS; Domain name not found: "
        "misspelt-domain.example.net", n=102),
     "sales@misspelt-domain.example.net", "host_unknown", "suppress"),
    ("Gmail", "connection timed out until it gave up", gmail(
        "help@slow-host.example.org", "Message not delivered",
        "There was a problem delivering your message to help@slow-host.example.org. See the "
        "technical details below.",
        "The recipient server did not accept our requests to connect. Learn more at "
        "https://support.google.com/mail/answer/7720 [mx.slow-host.example.org. 192.0.2.71: "
        "timed out]",
        "Action: failed\nStatus: 4.4.1\nDiagnostic-Code: smtp; The recipient server did not "
        "accept our requests to connect. [mx.slow-host.example.org. 192.0.2.71: timed out]",
        n=103), "help@slow-host.example.org", "expired", "soft"),
    ("Gmail", "no such account (receiver)", dsn(
        "nobody.here@gmail.example.com", "5.1.1",
        "550-5.1.1 The email account that you tried to reach does not exist. Please try "
        "double-checking the recipient's email address for typos or unnecessary spaces.",
        sender="mailer-daemon@googlemail.com"),
     "nobody.here@gmail.example.com", "user_unknown", "suppress"),
    ("Gmail", "account disabled (receiver)", dsn(
        "off@gmail.example.com", "5.2.1",
        "550-5.2.1 The email account that you tried to reach is disabled."),
     "off@gmail.example.com", "not_accepting", "suppress"),
    ("Gmail", "over quota (receiver)", dsn(
        "q@gmail.example.com", "5.2.2",
        "552-5.2.2 The email account that you tried to reach is over quota."),
     "q@gmail.example.com", "mailbox_full", "soft"),
    ("Gmail", "DMARC (receiver)", dsn(
        "d@gmail.example.com", "5.7.26",
        "550-5.7.26 Unauthenticated email from acme-appraisals.example is not accepted due to "
        "domain's DMARC policy."), "d@gmail.example.com", "our_reputation", "ours"),
    ("Gmail", "unsolicited mail from our IP (receiver)", postfix(
        "prospect@gmail.example.com", "4.7.0",
        "smtp; 421-4.7.0 [198.51.100.10] Our system has detected an unusual rate of "
        "unsolicited mail originating from your IP address. To protect our users from spam, "
        "mail sent from your IP address has been temporarily rate limited.",
        "<prospect@gmail.example.com>: host gmail-smtp-in.l.google.com[192.0.2.72] said:\n"
        "    421-4.7.0 [198.51.100.10] Our system has detected an unusual rate of\n"
        "    unsolicited mail originating from your IP address. (in reply to end of DATA\n"
        "    command)\n", n=104),
     "prospect@gmail.example.com", "our_reputation", "ours"),
    ("Gmail", "delayed", plain("""Delivery to the following recipient has been delayed:

     slow@example.com

Message will be retried for 2 more day(s)
""", subject="Delivery Status Notification (Delay)",
        sender="Mail Delivery Subsystem <mailer-daemon@googlemail.com>"),
     "slow@example.com", "delayed", "delay"),
]

YAHOO_INTRO = "Sorry, we were unable to deliver your message to the following address.\n\n"
YAHOO_COPY = "\n--- Below this line is a copy of the message.\n\n"


def yahoo(failure: str, recipient: str, *, n: int) -> bytes:
    """Yahoo Mail's plain-text failure notice."""
    return plain(YAHOO_INTRO + failure + YAHOO_COPY + original(recipient, n),
                 subject="Failure Notice", sender="MAILER-DAEMON@yahoo.com",
                 extra="X-YMailISG: aB3cD4eF5gH6iJ7kL8mN9oP0\n")


YAHOO = [
    ("Yahoo", "no such account", yahoo(
        "<y.user@example.com>:\n554: delivery error: dd This user doesn't have a example.com "
        "account (y.user@example.com) [0] - mta1234.mail.ne1.yahoo.com\n",
        "y.user@example.com", n=111), "y.user@example.com", "user_unknown", "suppress"),
    ("Yahoo", "mailbox full", yahoo(
        "<packrat@example.org>:\nRemote host said: 552 5.2.2 <packrat@example.org>... Mailbox "
        "Full [RCPT_TO]\n", "packrat@example.org", n=112),
     "packrat@example.org", "mailbox_full", "soft"),
    ("Yahoo", "mailbox disabled", yahoo(
        "<dormant@yahoo.example.com>:\n554: delivery error: dd Sorry your message to "
        "dormant@yahoo.example.com cannot be delivered. This mailbox is disabled (554.30). - "
        "mta1235.mail.ne1.yahoo.com\n", "dormant@yahoo.example.com", n=113),
     "dormant@yahoo.example.com", "not_accepting", "suppress"),
    ("Yahoo", "our IP on a list (receiver)", postfix(
        "member@yahoo.example.com", "5.7.1",
        "smtp; 553 5.7.1 [BL21] Connections will not be accepted from 198.51.100.10, because "
        "the ip is in Spamhaus's list; see https://postmaster.yahooinc.com/error-codes",
        "<member@yahoo.example.com>: host mta5.am0.yahoodns.net[192.0.2.80] said: 553\n"
        "    5.7.1 [BL21] Connections will not be accepted from 198.51.100.10, because the\n"
        "    ip is in Spamhaus's list; see https://postmaster.yahooinc.com/error-codes (in\n"
        "    reply to MAIL FROM command)\n", n=114),
     "member@yahoo.example.com", "our_reputation", "ours"),
    ("Yahoo", "deferred for volume (receiver)", postfix(
        "reader@yahoo.example.com", "4.7.0",
        "smtp; 421 4.7.0 [TSS04] Messages from 198.51.100.10 temporarily deferred due to "
        "unexpected volume or user complaints - 4.16.55.1; see "
        "https://postmaster.yahooinc.com/error-codes",
        "<reader@yahoo.example.com>: host mta6.am0.yahoodns.net[192.0.2.81] said: 421\n"
        "    4.7.0 [TSS04] Messages from 198.51.100.10 temporarily deferred due to\n"
        "    unexpected volume or user complaints - 4.16.55.1; see\n"
        "    https://postmaster.yahooinc.com/error-codes (in reply to MAIL FROM command)\n",
        action="delayed", n=115),
     "reader@yahoo.example.com", "delayed", "delay"),
    ("Yahoo", "not accepted for policy reasons (receiver)", postfix(
        "fan@yahoo.example.com", "5.7.9",
        "smtp; 554 5.7.9 Message not accepted for policy reasons.  See "
        "https://postmaster.yahooinc.com/error-codes",
        "<fan@yahoo.example.com>: host mta7.am0.yahoodns.net[192.0.2.82] said: 554\n"
        "    5.7.9 Message not accepted for policy reasons.  See\n"
        "    https://postmaster.yahooinc.com/error-codes (in reply to end of DATA command)\n",
        n=116), "fan@yahoo.example.com", "policy_block", "soft"),
]


def outlook_com(recipient: str, status: str, diagnostic: str, *, action: str = "failed",
                n: int) -> bytes:
    """Outlook.com (Hotmail): "This is an automatically generated Delivery Status
    Notification", then a report."""
    verb = "has been delayed" if action == "delayed" else "failed"
    human = (f"This is an automatically generated Delivery Status Notification.\n\n"
             f"Delivery to the following recipients {verb}.\n\n       {recipient}\n")
    headers = (f"From: postmaster@outlook.com\nTo: {OUR}\nDate: {DATE}\n"
               "Subject: Delivery Status Notification ("
               + ("Delay" if action == "delayed" else "Failure") + ")\n"
               f"Message-ID: <8f9e0d1c-{n:04d}@COL004-MC1F13.hotmail.com>\n"
               "X-Message-Delivery: Vj0xLjE7RD0wO0dEPTA7U0NMPTk7bD0xO3VzPTE=")
    fields = ("Reporting-MTA: dns;COL004-MC1F13.hotmail.com\n"
              f"Received-From-MTA: dns;acme-appraisals.example\nArrival-Date: {DATE}\n\n"
              f"Final-Recipient: rfc822;{recipient}\nAction: {action}\nStatus: {status}\n"
              f"Diagnostic-Code: smtp;{diagnostic}\n")
    return report(headers, human, fields, original(recipient, n),
                  boundary=f"9B095B5ADSN=_01D{n}")


OUTLOOK_COM = [
    ("Outlook.com", "mailbox unavailable", outlook_com(
        "nobody@hotmail.example.com", "5.5.0",
        "550 5.5.0 Requested action not taken: mailbox unavailable (-2141440768:4624:"
        "-2147467259)", n=121), "nobody@hotmail.example.com", "user_unknown", "suppress"),
    ("Outlook.com", "our network on their block list", outlook_com(
        "friend@outlook.example.com", "5.7.1",
        "550 5.7.1 Unfortunately, messages from [198.51.100.10] weren't sent. Please contact "
        "your Internet service provider since part of their network is on our block list "
        "(S3150). You can also refer your provider to "
        "http://mail.live.com/mail/troubleshooting.aspx#errors.", n=122),
     "friend@outlook.example.com", "our_reputation", "ours"),
    ("Outlook.com", "rate limited for IP reputation", outlook_com(
        "member@outlook.example.com", "4.7.650",
        "451 4.7.650 The mail server [198.51.100.10] has been temporarily rate limited due to "
        "IP reputation. For e-mail delivery information, see https://postmaster.live.com "
        "(S775)", action="delayed", n=123),
     "member@outlook.example.com", "our_reputation", "ours"),
    ("Outlook.com", "mailbox full", outlook_com(
        "hoard@hotmail.example.com", "5.2.2",
        "552 5.2.2 This message is larger than the current system limit or the recipient's "
        "mailbox is full. Create a shorter message body or remove attachments and try sending "
        "it again.", n=124), "hoard@hotmail.example.com", "mailbox_full", "soft"),
]

SAMPLES = EXCHANGE_2003 + EXCHANGE + OFFICE_365 + GMAIL + YAHOO + OUTLOOK_COM
