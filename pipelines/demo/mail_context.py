"""The shared state of demo mail building, and the helpers every message kind uses.

Message-IDs and Date headers come from the seeded generator and the demo clock, never from
`email.utils.make_msgid` or the wall clock, so reruns write identical bytes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from typing import Any
from zoneinfo import ZoneInfo

from faker import Faker

from pipelines.demo.randomness import phone, slugify
from pipelines.demo.spec import Row, TenantSpec
from resources.mailer.message import message_id
from services.cadence.feedback import request_key


@dataclass
class MailContext:
    """What every message builder needs: the tenant, its rows, a seeded source of variety, and the
    Date of the message being built."""

    rng: random.Random
    fake: Faker
    spec: TenantSpec
    now: datetime
    rows: dict[str, list[Row]]
    # The Message-ID each order's feedback request goes out under, by order number, so the
    # clients' answers in the demo mailbox reply to the requests the first cycle sends.
    requests: dict[str, str] = field(default_factory=dict)
    answered: list[str] = field(default_factory=list)  # orders whose request has an answer
    number: int = 0
    date: datetime = field(init=False)

    def people(self) -> list[Row]:
        return [c for c in self.rows["contacts"] if c["email"]]

    def person(self, email: str | None = None) -> Row:
        """The contact with `email`, or any contact that has an address."""
        if email:
            return next(c for c in self.rows["contacts"] if c["email"] == email)
        return self.rng.choice(self.people())

    def sender_for(self, row: Row | None) -> Row:
        """The contact behind an order or quote, or any contact when it has none."""
        return self.person(row["contact_email"] if row else None)

    def pick(self, table: str, **where: Any) -> Row | None:
        """A random row of `table` matching `where` (a tuple value means "one of")."""
        def fits(row: Row) -> bool:
            return all(row[k] in v if isinstance(v, tuple) else row[k] == v
                       for k, v in where.items())
        rows = [r for r in self.rows[table] if fits(r)]
        return self.rng.choice(rows) if rows else None

    def our_id(self) -> str:
        """A Message-ID as if we had sent it, for replies to point at."""
        return f"<out.{self.rng.getrandbits(48):012x}@{self.spec.domain}>"

    def message(self, sender: Row, subject: str, to: str = "info") -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = formataddr((sender["full_name"], sender["email"]))
        msg["To"] = formataddr((self.spec.name, f"{to}@{self.spec.domain}"))
        msg["Subject"] = subject
        msg["Date"] = format_datetime(self.date.astimezone(ZoneInfo(self.spec.timezone)))
        domain = sender["email"].split("@", 1)[1]
        msg["Message-ID"] = f"<{self.rng.getrandbits(64):016x}.{self.number}@{domain}>"
        return msg

    def reply_to_us(self, msg: EmailMessage, ours: str | None = None) -> EmailMessage:
        ours = ours or self.our_id()
        msg["In-Reply-To"] = ours
        msg["References"] = ours
        return msg

    def signature(self, person: Row) -> str:
        """A signature block; it may carry a title or phone the contact row lacks (enrichment)."""
        title = person["title"] or self.rng.choice(("Senior Loan Officer", "Processing Manager"))
        linkedin = person["linkedin_url"] or (
            f"https://www.linkedin.com/in/{slugify(person['full_name'])}")
        return (f"\n\n--\n{person['full_name']}\n{title} | {person['company']}\n"
                f"Direct: {person['phone'] or phone(self.rng)}\n{linkedin}\n")


def request_ids(slug: str, sender: str, order_ids: dict[str, int]) -> dict[str, str]:
    """The Message-ID of each order's feedback request: the mailer derives it from the tenant,
    the request's key (its cadence step) and the sender, so it is known before it is sent."""
    return {number: message_id(slug, request_key(order_id), sender)
            for number, order_id in order_ids.items()}
