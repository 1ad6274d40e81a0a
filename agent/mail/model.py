"""The shapes mail takes on its way from a mailbox to the database.

A source yields `RawMail`; `parse_message` turns it into a `ParsedMessage` (never raising: what it
cannot read becomes `errors`, and `fatal` sends the message to quarantine); `analyze` turns a
parsed message into `MailFacts`: one class label with its reason, opportunity signals with their
evidence, and the outcomes the cycle needs (bounce, unsubscribe, out-of-office, human request).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class RawMail:
    """One message as a mailbox source delivers it."""

    source_key: str  # unique within its folder: Maildir key, "<uidvalidity>:<uid>", Gmail id
    folder: str  # "INBOX", "Sent", a Maildir subfolder, a Gmail label
    data: bytes


@dataclass(frozen=True)
class Address:
    name: str | None
    email: str  # lower-cased


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    size: int
    data: bytes | None  # None when over the size limit (the message records why)


@dataclass
class ParsedMessage:
    message_key: str  # Message-ID without <>, or "sha256:<hex>" of the content when absent
    message_id_header: str | None
    content_hash: str  # sha256 hex of the raw bytes with line endings normalised
    in_reply_to: str | None
    references: list[str]
    thread_key: str  # first of References, else In-Reply-To, else message_key
    sender: Address | None
    to: list[Address]
    cc: list[Address]
    subject: str
    sent_at: datetime | None  # UTC; None when the Date header is missing or unreadable
    body_text: str  # plain text; HTML-only mail converted to text
    attachments: list[Attachment] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # lower-cased names, selected ones
    received_count: int = 0  # number of Received headers (mail-loop detection)
    delivery_reports: list[dict[str, str]] = field(default_factory=list)  # per-recipient DSN
    bounced_message_id: str | None = None  # Message-ID of the original, from a DSN
    errors: list[str] = field(default_factory=list)
    fatal: bool = False


@dataclass(frozen=True)
class Label:
    name: str  # inquiry, order, complaint, feedback_reply, quote_response, scheduling_request,
    #            out_of_office, bounce, unsubscribe, reply, other
    reason: str  # the rule or model that decided, with the matched evidence
    confidence: float


@dataclass(frozen=True)
class Signal:
    kind: str  # complaint 0.8, urgency 0.7, upsell 0.6, renewal 0.7, referral 0.6
    strength: float
    evidence: str


@dataclass(frozen=True)
class Bounce:
    recipients: list[str]
    status: str  # e.g. "5.1.1"
    hard: bool  # permanent failure (5.x.x): the address is suppressed
    diagnostic: str | None


@dataclass(frozen=True)
class HumanRequest:
    """The sender explicitly asked for a person to act (e.g. "can you call me Thursday?")."""

    action: str  # call, meeting, visit, callback
    evidence: str


@dataclass(frozen=True)
class Reference:
    kind: str  # order | quote
    number: str  # as written in the tenant's records, e.g. "ORD-10001", "Q-2001"
    rule: str  # which pattern matched and where (subject/body)


@dataclass(frozen=True)
class SignatureInfo:
    phone: str | None = None  # E.164
    title: str | None = None
    company: str | None = None
    linkedin_url: str | None = None
    address: str | None = None
    evidence: str = ""  # the signature block the fields came from


@dataclass
class MailFacts:
    label: Label
    signals: list[Signal] = field(default_factory=list)
    bounce: Bounce | None = None
    unsubscribe: bool = False
    out_of_office: bool = False
    out_of_office_until: date | None = None
    human_request: HumanRequest | None = None
    references: list[Reference] = field(default_factory=list)
    signature: SignatureInfo | None = None
    loop_suspected: str | None = None  # why this looks like a mail loop, or None
