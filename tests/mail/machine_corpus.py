"""Machine mail as it arrives, written for these tests from RFC 3834 (auto-responses), RFC 3798
(MDN read receipts), RFC 3464 (DSN success and delay), RFC 5965 (ARF feedback reports), RFC 2369
/ 8058 (list headers) and the headers common auto-responders (Exchange, Gmail, vacation) add.

Each sample is (name, kind, expected label, raw bytes). The counterpart we mail is
jane.doe@lender.example; our messages are <out-1@acme-appraisals.example>.
"""

from __future__ import annotations

from tests.mail.helpers import mail

OUR_ID = "<out-1@acme-appraisals.example>"
JANE = "Jane Doe <jane.doe@lender.example>"
TO = "Acme Appraisals <info@acme-appraisals.example>"
DATE = "Mon, 16 Nov 2026 10:00:00 -0500"


def report(report_type: str | None, human: str, machine_type: str, machine: str, *,
           subject: str, sender: str, message_id: str, original: str | None = None,
           **extra: str) -> bytes:
    """A multipart/report (RFC 6522): the human-readable part, the machine-readable part and
    the original's headers."""
    param = f"; report-type={report_type}" if report_type else ""
    headers = [f"From: {sender}", f"To: {TO}", f"Subject: {subject}", f"Date: {DATE}",
               f"Message-ID: {message_id}", "MIME-Version: 1.0",
               f'Content-Type: multipart/report{param}; boundary="RPT"']
    headers += [f"{k.replace('_', '-')}: {v}" for k, v in extra.items()]
    original = original or (f"From: {TO}\nTo: {JANE}\nSubject: Re: your order ORD-10001\n"
                            f"Message-ID: {OUR_ID}\n")
    parts = ["--RPT", "Content-Type: text/plain; charset=us-ascii", "", human, "",
             "--RPT", f"Content-Type: {machine_type}", "", machine, "",
             "--RPT", "Content-Type: text/rfc822-headers", "", original, "--RPT--", ""]
    return ("\n".join(headers) + "\n\n" + "\n".join(parts)).encode()


def dsn(action: str, status: str, *, subject: str, human: str, n: int,
        sender: str = "Mail Delivery System <MAILER-DAEMON@mx.lender.example>") -> bytes:
    fields = ("Reporting-MTA: dns; mx.lender.example\n"
              "Arrival-Date: Mon, 16 Nov 2026 09:59:58 -0500\n\n"
              "Final-Recipient: rfc822; jane.doe@lender.example\n"
              f"Action: {action}\nStatus: {status}\n")
    return report("delivery-status", human, "message/delivery-status", fields, subject=subject,
                  sender=sender, message_id=f"<dsn-{n}@mx.lender.example>")


MDN_FIELDS = ("Reporting-UA: jane-pc.lender.example; Thunderbird 115\n"
              "Original-Recipient: rfc822;jane.doe@lender.example\n"
              "Final-Recipient: rfc822;jane.doe@lender.example\n"
              f"Original-Message-ID: {OUR_ID}\n"
              "Disposition: manual-action/MDN-sent-manually; displayed\n")
ARF_FIELDS = ("Feedback-Type: abuse\nUser-Agent: SomeGenerator/1.0\nVersion: 1\n"
              "Original-Mail-From: <info@acme-appraisals.example>\n"
              "Original-Rcpt-To: <jane.doe@lender.example>\n"
              "Arrival-Date: Mon, 16 Nov 2026 09:59:58 -0500\nSource-IP: 192.0.2.1\n")


def _reply(n: int, **headers: str) -> bytes:
    """A message answering ours, with the machine headers given."""
    body = headers.pop("body", "Thanks, I have your message.\n")
    defaults = {"From": JANE, "Subject": "Re: your order ORD-10001",
                "Message_ID": f"<m-{n}@lender.example>", "In_Reply_To": OUR_ID,
                "References": OUR_ID}
    return mail(body, **(defaults | headers))


AWAY = ("I am out of the office until Friday, December 4, 2026 with limited access to email.\n"
        "For urgent orders please call the office.\n")

# (name, kind, label, bytes). Senders other than Jane are unknown to the tenant.
SAMPLES: list[tuple[str, str, str, bytes]] = [
    # RFC 3834 section 5: Auto-Submitted on auto-responses and on other automatic mail.
    ("rfc3834 auto-replied", "auto-reply", "out_of_office",
     _reply(1, Subject="Auto: Re: your order ORD-10001", Auto_Submitted="auto-replied",
            body=AWAY)),
    ("rfc3834 auto-replied with owner param", "auto-reply", "out_of_office",
     _reply(2, Subject="Out of Office: Re: your order", body=AWAY,
            Auto_Submitted='auto-replied; owner-email="jane.doe@lender.example"')),
    ("rfc3834 auto-generated notice", "auto-reply", "other",
     _reply(3, From="Ticket System <tickets@vendor.example>", Subject="[#4411] Ticket received",
            Auto_Submitted="auto-generated",
            body="We received your request and will answer within two business days.\n"
                 "I am very unhappy to report delays: this is unacceptable.\n")),
    # Exchange / Outlook OOF: X-Auto-Response-Suppress on an "Automatic reply:" subject.
    ("exchange oof", "auto-reply", "out_of_office",
     _reply(4, Subject="Automatic reply: your order ORD-10001", X_Auto_Response_Suppress="All",
            body=AWAY)),
    ("x-autoreply", "auto-reply", "out_of_office",
     _reply(5, Subject="Re: your order ORD-10001", X_Autoreply="yes", body=AWAY)),
    ("x-autorespond", "auto-reply", "other",
     _reply(6, From="Sales <sales@vendor.example>", Subject="Thank you for contacting us",
            X_Autorespond="Thank you for contacting us",
            body="Please place a new order through our portal.\n")),
    ("precedence auto_reply", "auto-reply", "out_of_office",
     _reply(7, Subject="Vacation reply", Precedence="auto_reply", body=AWAY)),
    # Bulk and list mail, including a newsletter from the known contact answering our thread.
    ("precedence bulk newsletter from a known contact", "bulk", "other",
     _reply(8, Subject="Re: Lender news, November", Precedence="bulk",
            body="Our November rates: how much does a refinance cost? Reply to learn more.\n")),
    ("precedence junk", "bulk", "other",
     _reply(9, From="Deals <deals@promo.example>", Subject="Re: price drop", Precedence="junk",
            body="Can you call me Thursday? Huge discounts!\n")),
    ("precedence list", "bulk", "other",
     _reply(10, From="appraisers-l@lists.example", Subject="Re: [appraisers-l] turn times",
            Precedence="list", body="What are your turn times this month?\n")),
    ("list-id from a known contact", "bulk", "other",
     _reply(11, Subject="Re: [lender-partners] quarterly update",
            List_Id="Lender partners <partners.lender.example>",
            List_Unsubscribe="<mailto:leave@lender.example>",
            body="New order volume is up this quarter.\n")),
    ("list-unsubscribe-post only", "bulk", "other",
     _reply(12, From="News <news@marketing.example>", Subject="Re: your order ORD-10001",
            List_Unsubscribe="<https://marketing.example/u/1>",
            List_Unsubscribe_Post="List-Unsubscribe=One-Click",
            body="Your order ORD-10001 ships soon! Rate us 5 stars.\n")),
    # Null return paths (RFC 5321 4.5.5: notifications are sent with MAIL FROM:<>).
    ("null return path", "null-sender", "other",
     _reply(13, From="Notifications <alerts@vendor.example>", Return_Path="<>",
            Subject="Re: your order ORD-10001", body="Your account statement is ready.\n")),
    ("empty return path", "null-sender", "other",
     _reply(14, From="system@vendor.example", Return_Path="", Subject="Re: New order",
            body="New order received.\n")),
    # Daemon and no-reply senders.
    ("mailer-daemon notice", "daemon", "other",
     _reply(15, From="MAILER-DAEMON@mx.lender.example", Subject="Re: your order ORD-10001",
            body="This is the mail system at host mx.lender.example. Your message was queued.\n")),
    ("postmaster notice", "daemon", "other",
     _reply(16, From="Postmaster <postmaster@lender.example>", Subject="Re: new order",
            body="Your message has been accepted for delivery.\n")),
    ("noreply sender", "daemon", "other",
     _reply(17, From="Portal <noreply@portal.example>", Subject="Re: new order ORD-10001",
            body="A new order was placed: ORD-10001.\n")),
    ("no-reply with tag", "daemon", "other",
     _reply(18, From="no-reply+abc123@portal.example", Subject="Re: quote Q-2001",
            body="We accept the quote. Proceed.\n")),
    ("do-not-reply", "daemon", "other",
     _reply(19, From="do-not-reply@portal.example", Subject="Re: feedback",
            body="4 out of 5\n")),
    # RFC 3798 MDN read receipts: sent from the reader's own address.
    ("mdn read receipt", "read-receipt", "other",
     report("disposition-notification",
            "The message sent on 2026-11-16 to jane.doe@lender.example with subject "
            "\"Re: your order ORD-10001\" has been displayed.",
            "message/disposition-notification", MDN_FIELDS,
            subject="Read: Re: your order ORD-10001", sender=JANE,
            message_id="<mdn-1@lender.example>", In_Reply_To=OUR_ID, References=OUR_ID)),
    ("mdn read receipt, quote", "read-receipt", "other",
     report("disposition-notification",
            "Your message\n  Subject: Quote Q-2001: we accept, go ahead\nwas read.",
            "message/disposition-notification", MDN_FIELDS,
            subject="Read: Quote Q-2001", sender=JANE, message_id="<mdn-2@lender.example>",
            In_Reply_To=OUR_ID)),
    ("mdn read receipt, deleted", "read-receipt", "other",
     report("disposition-notification", "Your message was deleted without being read.",
            "message/disposition-notification",
            MDN_FIELDS.replace("displayed", "deleted"), subject="Not read: new order",
            sender=JANE, message_id="<mdn-3@lender.example>", In_Reply_To=OUR_ID)),
    # RFC 3464 success DSNs (NOTIFY=SUCCESS): the "complaint" misreading.
    ("dsn delivered", "delivery-success", "other",
     dsn("delivered", "2.0.0", n=1, subject="Delivery Status Notification (Success)",
         human="Your message was successfully delivered to jane.doe@lender.example.\n"
               "Subject: Re: Terrible service, I am very disappointed and want a refund")),
    ("dsn relayed", "delivery-success", "other",
     dsn("relayed", "2.0.0", n=2, subject="Relayed: Re: complaint about late report",
         sender="postmaster@relay.example",
         human="Delivery to these recipients or groups is complete, but no delivery "
               "notification was sent by the destination server. This is unacceptable.")),
    ("dsn expanded", "delivery-success", "other",
     dsn("expanded", "2.0.0", n=3, subject="Delivered: new order ORD-10001",
         sender="Microsoft Outlook <MicrosoftExchange329e71ec88ae@lender.example>",
         human="Your message has been delivered to the following recipients: new order.")),
    # RFC 3464 delay DSNs: the "order" misreading. A delay is read as a bounce that
    # never suppresses (agent/mail/bounce_reasons.py); never as an order.
    ("dsn delayed", "delay", "bounce",
     dsn("delayed", "4.4.7", n=4, subject="Delayed Mail (still being retried): new order",
         human="This is the mail system. Your new order ORD-10001 has not been delivered yet;"
               " it will be retried.")),
    ("dsn delayed, outlook", "delay", "bounce",
     dsn("delayed", "4.4.1", n=5, subject="Delivery delayed: Re: your order ORD-10001",
         sender="postmaster@outlook.example",
         human="Delivery is delayed to these recipients: jane.doe@lender.example")),
    ("dsn delayed, no usable recipient", "delay", "other",
     dsn("delayed", "4.4.7", n=6, subject="Warning: message delayed: new order ORD-10001",
         human="Your new order ORD-10001 is still queued.").replace(
             b"rfc822; jane.doe@lender.example", b"rfc822; |/usr/bin/procmail")),
    # RFC 5965 ARF feedback reports.
    ("arf abuse", "feedback-report", "other",
     report("feedback-report", "This is an email abuse report for an email message received "
            "from IP 192.0.2.1. I am very unhappy with this spam, it is unacceptable.",
            "message/feedback-report", ARF_FIELDS, subject="FW: Re: your order ORD-10001",
            sender="Abuse Desk <abuse@isp.example>", message_id="<arf-1@isp.example>")),
    ("arf from a feedback loop", "feedback-report", "other",
     report("feedback-report", "A complaint was received about a new order message.",
            "message/feedback-report", ARF_FIELDS, subject="Complaint about new order",
            sender="feedbackloop@fbl.mailbox.example", message_id="<arf-2@fbl.example>")),
    ("arf with auto-submitted", "feedback-report", "other",
     report("feedback-report", "This is a spam complaint.", "message/feedback-report",
            ARF_FIELDS.replace("abuse", "fraud"), subject="Abuse report",
            sender="scomp@aol.example", message_id="<arf-3@aol.example>",
            Auto_Submitted="auto-generated")),
]

# Real replies from a person that carry headers near the rules: must stay a person's mail.
PEOPLE: list[tuple[str, bytes]] = [
    ("plain reply", _reply(40, body="Yes, please go ahead with the order.\n")),
    ("auto-submitted: no", _reply(41, Auto_Submitted="no", body="Sounds good, thanks.\n")),
    ("x-auto-response-suppress on a reply", _reply(
        42, X_Auto_Response_Suppress="All", body="Can we move the inspection to Friday?\n")),
    ("bare list-unsubscribe", _reply(43, List_Unsubscribe="<mailto:u@lender.example>",
                                     body="Thanks, received.\n")),
    ("reply-named person", _reply(44, From="Reply Smith <replysmith@lender.example>",
                                  body="Thanks.\n")),
]
