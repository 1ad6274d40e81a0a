"""Building bounces for the corpus: raw bytes as an MTA hands them over, from the parts every
format shares (headers, a multipart/report, the copy of our original message), so that each
sample in tests/mail/bounce_samples_*.py only spells out what its vendor writes."""

from __future__ import annotations

import zlib

OUR = "outreach@acme-appraisals.example"
DATE = "Mon, 16 Nov 2026 10:00:05 -0500"


def message(headers: str, body: str, *, newline: str = "\n") -> bytes:
    """Headers and body as written (LF); `newline` turns them into CRLF or CR-only mail."""
    text = headers.strip("\n") + "\n\n" + body
    return text.replace("\n", newline).encode()


def original(to: str, n: int = 77) -> str:
    """Our message as the bounce attaches it: its To is what we sent to."""
    return (f"From: Acme Appraisals <{OUR}>\nTo: {to}\nSubject: Checking in\n"
            f"Date: Mon, 16 Nov 2026 10:00:00 -0500\n"
            f"Message-ID: <out.{n}@acme-appraisals.example>\nMIME-Version: 1.0\n"
            f"Content-Type: text/plain; charset=us-ascii\n\nHi, just checking in.\n")


def report(headers: str, human: str, fields: str, attached: str, *,
           attached_type: str = "message/rfc822", human_type: str = "text/plain",
           boundary: str = "=_report_0", newline: str = "\n") -> bytes:
    """A multipart/report (RFC 6522) with its RFC 3464 delivery-status part: `fields` is the
    per-message block, a blank line, then one block per recipient."""
    body = (f"This is a MIME-encapsulated message.\n\n--{boundary}\n"
            f"Content-Description: Notification\nContent-Type: {human_type}; charset=us-ascii\n\n"
            f"{human.strip(chr(10))}\n\n--{boundary}\nContent-Description: Delivery report\n"
            f"Content-Type: message/delivery-status\n\n{fields.strip(chr(10))}\n\n"
            f"--{boundary}\nContent-Description: Undelivered Message\n"
            f"Content-Type: {attached_type}\n\n{attached}\n--{boundary}--\n")
    headers = (headers.strip("\n") + "\nMIME-Version: 1.0\nContent-Type: multipart/report; "
               f'report-type=delivery-status;\n boundary="{boundary}"\n')
    return message(headers, body, newline=newline)


def dsn(recipient: str, status: str, diagnostic: str, *, action: str = "failed",
        sender: str = "MAILER-DAEMON@mx.acme-appraisals.example", newline: str = "\n",
        original_to: str | None = None) -> bytes:
    """A bare RFC 3464 report from our own MTA: one recipient, one diagnostic."""
    headers = (f"Return-Path: <>\nFrom: Mail Delivery System <{sender}>\nTo: {OUR}\n"
               f"Subject: Undelivered Mail Returned to Sender\n"
               f"Message-ID: <dsn.{_digest(recipient, status, diagnostic)}@mx.example>\n"
               f"Date: {DATE}")
    fields = (f"Reporting-MTA: dns; mx.acme-appraisals.example\n\n"
              f"Final-Recipient: rfc822; {recipient}\nAction: {action}\nStatus: {status}\n"
              f"Diagnostic-Code: smtp; {diagnostic}")
    return report(headers, "Your message could not be delivered to one or more recipients.",
                  fields, original(original_to or recipient), boundary="R", newline=newline)


def plain(body: str, *, subject: str = "Mail delivery failed: returning message to sender",
          sender: str = "Mail Delivery System <Mailer-Daemon@mx.example>",
          extra: str = "", newline: str = "\n") -> bytes:
    """A plain-text bounce, as Exim, qmail, OpenSMTPD, Yahoo and older Exchange send them."""
    headers = (f"From: {sender}\nTo: {OUR}\nSubject: {subject}\n{extra}Date: {DATE}\n"
               f"Message-ID: <p.{_digest(body)}@mx.example>")
    return message(headers, body, newline=newline)


def _digest(*parts: str) -> int:
    """A Message-ID part that is the same on every run (hash() is salted per process)."""
    return zlib.crc32("|".join(parts).encode())
