"""Small real messages for the mailbox tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.utils import format_datetime

from agent.mail.model import RawMail
from resources.mailbox import MailSource


def message(n: int, subject: str | None = None, sender: str = "customer@example.org") -> bytes:
    """Message number `n`, dated `n` minutes after a fixed start so their order is known."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "owner@example.com"
    msg["Subject"] = subject or f"Message {n}"
    msg["Date"] = format_datetime(datetime(2024, 5, 1, 9, 0, tzinfo=UTC) + timedelta(minutes=n))
    msg["Message-ID"] = f"<message-{n}@example.org>"
    msg.set_content(f"Hello, this is message {n}.\n")
    return msg.as_bytes().replace(b"\n", b"\r\n")


def subjects(messages: list[RawMail]) -> list[str]:
    """The Subject of each message, in order."""
    return [message_from_bytes(m.data)["Subject"] for m in messages]


def page_through(source: MailSource, limit: int) -> tuple[list[tuple[int, bool]], list[str]]:
    """Fetch `limit` at a time until nothing comes: (size, more) per page, and every subject."""
    pages: list[tuple[int, bool]] = []
    seen: list[str] = []
    checkpoint = None
    while True:
        result = source.fetch(checkpoint, limit=limit)
        pages.append((len(result.messages), result.more))
        seen += subjects(result.messages)
        checkpoint = result.checkpoint
        if not result.messages:
            return pages, seen
