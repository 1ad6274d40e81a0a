"""Spam complaints: feedback-loop reports (RFC 5965 ARF) name the person who marked our mail as
spam, and that person must never be mailed again.

A feedback report comes from the mailbox provider (its abuse desk or feedback loop), so its
sender is never the complainer. The complainer is, in order: the report's Removal-Recipient or
Original-Rcpt-To fields, else the sole recipient of the embedded original. Providers often
redact both; the original's Message-ID then still names the outbox row the mail went out from,
and the services layer takes the address from there (services/inbox/feedback.py).
"""

from __future__ import annotations

import base64
import binascii
import quopri
import re
from email.message import Message

from agent.mail.bounces import valid_recipient
from agent.mail.model import Complaint, ParsedMessage
from agent.mail.signals import is_ours

# RFC 5965 / RFC 6650 feedback types that mean "this recipient did not want this mail";
# not-spam reverses a complaint and auth-failure (RFC 6591) is about the sending domain.
COMPLAINT_TYPES = ("abuse", "fraud", "virus", "other")
MAX_FIELD = 500
# The original's headers quoted in a bounce's text (qmail, Exim and others copy the message
# inline under "--- Below this line is a copy of the message.").
QUOTED_MESSAGE_ID = re.compile(r"^\s*message-id:\s*<([^<>\s]{3,250})>",
                               re.IGNORECASE | re.MULTILINE)


def report_fields(report: Message) -> dict[str, str]:
    """The message/feedback-report part's fields, lower-cased names, repeated ones joined by ", "
    (Original-Rcpt-To may appear once per recipient). The email package parses the part as a
    message whose headers are the fields; an encoded part arrives as that message's body."""
    payload = report.get_payload()
    inner = payload[0] if isinstance(payload, list) and payload else None
    if isinstance(inner, Message) and inner.keys():
        items = inner.items()
    else:
        text = _decoded(report, inner.get_payload() if isinstance(inner, Message) else payload)
        items = [tuple(part.strip() for part in line.split(":", 1))
                 for line in text.splitlines() if ":" in line]
    fields: dict[str, str] = {}
    for name, value in items:
        text = " ".join(str(value).split())[:MAX_FIELD]
        key = str(name).lower()
        fields[key] = f"{fields[key]}, {text}" if key in fields else text
    return fields


def _decoded(part: Message, body: object) -> str:
    encoding = str(part.get("content-transfer-encoding", "")).strip().lower()
    data = str(body).encode("ascii", "replace")
    try:
        if encoding == "base64":
            data = base64.b64decode(data)
        elif encoding == "quoted-printable":
            data = quopri.decodestring(data)
    except (binascii.Error, ValueError):
        return ""
    return data.decode("utf-8", "replace")


def original_ids(msg: ParsedMessage) -> list[str]:
    """The Message-IDs this report may be about, the surest first: the attached original's,
    then a Message-ID line of the original quoted in the text, then the report's own
    In-Reply-To and References (some MTAs thread their notices to the message)."""
    candidates = [msg.bounced_message_id, *QUOTED_MESSAGE_ID.findall(msg.body_text),
                  msg.in_reply_to, *reversed(msg.references)]
    return list(dict.fromkeys(c for c in candidates if c))


def _addresses(value: str) -> list[str]:
    found = (part.strip().strip("<>").removeprefix("rfc822;").strip() for part in value.split(","))
    return [a.lower() for a in found if a and valid_recipient(a.lower())]


def complaint_from(msg: ParsedMessage, own: list[str]) -> Complaint | None:
    """The complaint this feedback report makes, or None when the message is not one (or it
    reports something other than a complaint)."""
    fields = msg.feedback_report
    if not fields:
        return None
    kind = (fields.get("feedback-type", "").lower().split() or ["abuse"])[0]
    if kind not in COMPLAINT_TYPES:
        return None
    evidence = "; ".join(f"{name}: {fields[name]}" for name in (
        "feedback-type", "user-agent", "reported-domain", "source-ip", "arrival-date")
        if name in fields)
    for name in ("removal-recipient", "original-rcpt-to"):
        if found := [a for a in _addresses(fields.get(name, "")) if not is_ours(a, own)]:
            return Complaint(kind, found, name, evidence)
    originals = [a for a in msg.original_recipients if valid_recipient(a) and not is_ours(a, own)]
    if len(originals) == 1:  # several recipients: the report does not say which one complained
        return Complaint(kind, originals, "original message", evidence)
    return Complaint(kind, [], "", evidence)
