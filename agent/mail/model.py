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
    own_text: str | None = None  # body_text without the quote its HTML marked; None: no cut
    attachments: list[Attachment] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # lower-cased names, selected ones
    received_count: int = 0  # number of Received headers (mail-loop detection)
    delivery_reports: list[dict[str, str]] = field(default_factory=list)  # per-recipient DSN
    bounced_message_id: str | None = None  # Message-ID of the original, from a DSN
    original_recipients: list[str] = field(default_factory=list)  # To/Cc of the attached original
    feedback_report: dict[str, str] = field(default_factory=dict)  # RFC 5965 fields, lower-cased
    scanned_failures: dict[str, str] = field(default_factory=dict)  # flufl.bounce: address ->
    #                                                                 permanent | temporary
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
class Failure:
    """One recipient's failed delivery, with its reason and the evidence for it."""

    recipient: str  # lower-cased, a valid mailbox
    reason: str  # agent/mail/bounce_reasons.REASONS: user_unknown, mailbox_full, delayed...
    outcome: str  # suppress | soft | delay | ours (agent/mail/bounce_reasons.OUTCOMES)
    status: str  # RFC 3463 enhanced code, e.g. "5.1.1"; "5.0.0"/"4.0.0" when only the class
    smtp_code: str | None  # e.g. "550"
    diagnostic: str | None  # the receiver's words (Diagnostic-Code or the text's coded line)
    source: str  # where the address came from: report, x-failed-recipients, flufl.bounce,
    #              text, original

    @property
    def evidence(self) -> str:
        return " ".join(p for p in (self.status, self.smtp_code, self.diagnostic) if p)[:500]


@dataclass(frozen=True)
class Bounce:
    failures: list[Failure]
    source: str = "report"  # where the first address came from

    @property
    def _chosen(self) -> list[Failure]:
        """The failures that are final (not delays) when there are any, since those change
        state; else the delays."""
        final = [f for f in self.failures if f.outcome != "delay"]
        return final or self.failures

    @property
    def recipients(self) -> list[str]:
        return [f.recipient for f in self._chosen]

    @property
    def status(self) -> str:
        return self._chosen[0].status

    @property
    def reason(self) -> str:
        return self._chosen[0].reason

    @property
    def hard(self) -> bool:
        """Some address is gone for good and is suppressed."""
        return any(f.outcome == "suppress" for f in self.failures)

    @property
    def diagnostic(self) -> str | None:
        return self._chosen[0].diagnostic


@dataclass(frozen=True)
class Complaint:
    """A spam complaint from a feedback-loop report (agent/mail/feedback.py)."""

    feedback_type: str  # abuse, fraud, virus or other (RFC 5965)
    recipients: list[str]  # the complaining addresses the report names; empty when redacted
    source: str  # removal-recipient, original-rcpt-to, original message; "" when redacted
    evidence: str  # the report's fields: type, user agent, reported domain, source IP, date

    @property
    def reason(self) -> str:
        return f"complaint_{self.feedback_type}"


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
    complaint: Complaint | None = None
    unsubscribe: bool = False
    out_of_office: bool = False
    out_of_office_until: date | None = None
    human_request: HumanRequest | None = None
    references: list[Reference] = field(default_factory=list)
    signature: SignatureInfo | None = None
    loop_suspected: str | None = None  # why this looks like a mail loop, or None
    machine: str | None = None  # why no person wrote this inbound message (agent/mail/machine.py)
