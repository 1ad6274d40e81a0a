"""Deterministic business mail for the ingest benchmark: 5-50 KB messages an appraisal firm gets.

Varied senders (lenders, title companies, realtors, homeowners) writing prose from the classifier's
hand-written examples and general business filler, signed with a signature block (title, company,
phone, address, sometimes LinkedIn); replies quote the thread below, some mail carries a small
PDF or spreadsheet, some has an HTML alternative, and a few are auto-replies, newsletters,
bounces or the firm's own mail. The same seed always gives the same bytes.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from html import escape

from agent.mail.examples import EXAMPLES

OWN_DOMAIN = "summitvaluation.example"
OWNER = f"orders@{OWN_DOMAIN}"
MIN_BYTES, MAX_BYTES = 5 * 1024, 50 * 1024

FIRST = ("James", "Maria", "Robert", "Linda", "Michael", "Patricia", "David", "Jennifer", "Carlos",
         "Susan", "Wei", "Aisha", "Thomas", "Karen", "Daniel", "Nancy", "José", "Priya", "Mark",
         "Emily", "Kevin", "Rachel", "Brian", "Laura", "Hannah", "Omar", "Grace", "Lukas")
LAST = ("Smith", "Garcia", "Johnson", "Nguyen", "Brown", "Martinez", "Miller", "Davis", "O'Neil",
        "Wilson", "Anderson", "Patel", "Taylor", "Thomas", "Moore", "Jackson", "Müller", "Lee",
        "Harris", "Clark", "Lewis", "Walker", "Hall", "Young", "King", "Wright", "Lopez", "Hill")
COMPANIES = ("First Lakeside Bank", "Hill Country Mortgage", "Capitol Title & Escrow",
             "Bluebonnet Realty Group", "Pioneer Credit Union", "Travis Home Loans LLC",
             "Redwood Appraisal Management", "Cedar Park Lending", "Frontier Financial Corp",
             "Oakmont Real Estate", "Stonebridge Savings", "Meridian Insurance Agency")
TITLES = ("Loan Officer", "Senior Processor", "Escrow Officer", "Branch Manager", "Realtor",
          "Underwriter", "Closing Coordinator", "VP, Lending", "Broker Associate",
          "Vendor Manager", "Operations Director")
STREETS = ("Oak Street", "Congress Avenue", "Lamar Blvd", "Pine Road", "Riverside Drive",
           "Mesa Lane", "Parmer Lane", "Burnet Road")
AREA_CODES = ("512", "737", "210", "214", "303", "720", "415", "646", "312", "404")
FILLER = (
    "Thanks for the quick turnaround on the last file, the team appreciated it.",
    "I wanted to follow up on our conversation from earlier this week.",
    "Let me know if you need anything else from our side to keep this moving.",
    "The borrower is flexible on timing but would prefer a weekday morning.",
    "Our closing calendar is filling up quickly for the end of the quarter.",
    "I have copied my assistant, who handles scheduling for our branch.",
    "We updated the vendor portal last month, so uploads should go there now.",
    "The lender's guidelines changed slightly for condos, see the notes below.",
    "Please confirm the fee before we release the engagement to the borrower.",
    "We appreciate the partnership and look forward to working together on more files.",
    "The listing agent will meet your inspector at the property.",
    "I am out most of Thursday but reachable by phone.",
    "The comparable sales in that subdivision have been thin this year.",
    "Underwriting signed off on the revision, so we are clear to close.",
    "The HOA documents are attached for reference.",
    "Can you send the invoice to accounts payable directly going forward?",
)
SIGNALS = ("This one is urgent, we need it by end of day tomorrow.",
           "Our annual agreement is up for renewal next month.",
           "A colleague at another bank referred us to you.",
           "We are expanding into two new markets and will have more volume.",
           "Frankly we are disappointed with how long the last report took.",
           "Could you call me tomorrow morning to go over the details?")
SENTENCES = [s for texts in EXAMPLES.values() for s in texts] + list(FILLER)


def _wire_size(raw: bytes) -> int:
    """The size over IMAP, where every line ends in CRLF."""
    return len(raw) + raw.count(b"\n")


class Person:
    def __init__(self, rng: random.Random, n: int, own: bool = False):
        self.first, self.last = rng.choice(FIRST), rng.choice(LAST)
        self.name = f"{self.first} {self.last}"
        self.company = "Summit Valuation Group" if own else rng.choice(COMPANIES)
        domain = OWN_DOMAIN if own else (
            "".join(c for c in self.company.lower() if c.isalnum())[:18] + ".example")
        local = f"{self.first[0]}{self.last}".lower().replace("'", "").replace("ü", "u")
        self.email = f"{local}{n}@{domain}"
        self.title = rng.choice(TITLES)
        phone = f"({rng.choice(AREA_CODES)}) {rng.randint(200, 989)}-{rng.randint(0, 9999):04d}"
        lines = [self.name, f"{self.title} | {self.company}", f"Direct: {phone}"]
        if rng.random() < 0.6:
            lines.append(f"{rng.randint(100, 9800)} {rng.choice(STREETS)}, Suite "
                         f"{rng.randint(100, 450)}, Austin, TX 787{rng.randint(0, 99):02d}")
        if rng.random() < 0.3:
            lines.append(f"linkedin.com/in/{local}-{rng.randint(10, 99)}")
        self.signature = "\n".join(lines)


def _wrap(text: str, width: int = 76) -> str:
    """Greedy word wrap (textwrap is correct but slow, and the words here are plain)."""
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return "\n".join([*lines, line])


def _prose(rng: random.Random, sentences: int) -> str:
    paragraphs, left = [], sentences
    while left > 0:
        take = min(left, rng.randint(2, 5))
        words = " ".join(rng.choice(SENTENCES) for _ in range(take))
        if rng.random() < 0.3:
            words += f" The file is ORD-{rng.randint(10000, 10999)}."
        if rng.random() < 0.1:
            words += f" This is about quote Q-{rng.randint(2000, 2999)}."
        paragraphs.append(_wrap(words))
        left -= take
    return "\n\n".join(paragraphs)


def _quoted(rng: random.Random, size: int, when: datetime, people: list[Person]) -> str:
    """Earlier messages of the thread, quoted with "> " as mail clients do, about `size` bytes."""
    parts: list[str] = []
    while sum(map(len, parts)) < size:
        who = rng.choice(people)
        when -= timedelta(hours=rng.randint(2, 72))
        earlier = f"{_prose(rng, rng.randint(4, 12))}\n\nRegards,\n{who.signature}"
        parts.append(f"On {format_datetime(when)}, {who.name} <{who.email}> wrote:\n"
                     + "\n".join(f"> {line}".rstrip() for line in earlier.splitlines()))
    return "\n\n".join(parts)[:size]


class Generator:
    def __init__(self, seed: int = 42, senders: int = 400):
        self.rng = random.Random(seed)
        self.people = [Person(self.rng, n) for n in range(senders)]
        self.staff = [Person(self.rng, n, own=True) for n in range(6)]
        self.sent: list[str] = []  # Message-IDs so far, for replies to refer to
        self.when = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)

    def messages(self, count: int) -> list[bytes]:
        return [self.message(n) for n in range(count)]

    def message(self, n: int) -> bytes:
        rng = self.rng
        self.when += timedelta(seconds=rng.randint(60, 900))
        target = rng.randint(MIN_BYTES, MAX_BYTES)
        kind = rng.choices(("person", "own", "ooo", "newsletter", "bounce"),
                           weights=(86, 8, 3, 2, 1))[0]
        sender = rng.choice(self.staff if kind == "own" else self.people)
        msg = EmailMessage()
        msg["From"] = formataddr((sender.name, sender.email))
        msg["To"] = OWNER if kind != "own" else rng.choice(self.people).email
        if rng.random() < 0.2:
            msg["Cc"] = ", ".join(rng.choice(self.people).email for _ in range(rng.randint(1, 3)))
        msg["Date"] = format_datetime(self.when)
        msg["Message-ID"] = f"<{n:05d}.{rng.getrandbits(40):010x}@{sender.email.split('@')[1]}>"
        reply = kind in ("person", "own") and self.sent and rng.random() < 0.5
        if reply:
            parent = rng.choice(self.sent[-300:])
            msg["In-Reply-To"], msg["References"] = parent, parent
        subject = rng.choice(SENTENCES)[:60].rstrip(" ,.?")
        msg["Subject"] = ("RE: " if reply else "") + subject
        body = self._body(kind, sender, rng)
        if kind == "ooo":
            msg.replace_header("Subject", f"Automatic reply: {subject}")
            msg["Auto-Submitted"] = "auto-replied"
        elif kind == "newsletter":
            msg["List-Unsubscribe"] = f"<https://news.{sender.email.split('@')[1]}/unsubscribe>"
            msg["Precedence"] = "bulk"
        elif kind == "bounce":
            msg.replace_header("From", f"Mail Delivery System <MAILER-DAEMON@{OWN_DOMAIN}>")
            msg.replace_header("Subject", "Undelivered Mail Returned to Sender")
        attachment = None
        if kind in ("person", "own") and rng.random() < 0.25:
            attachment = (rng.randbytes(rng.randint(1500, min(12000, target // 2))),
                          rng.choice(("report.pdf", "engagement.pdf", "comps.xlsx")))
        html = kind in ("person", "newsletter") and rng.random() < 0.2
        self.sent.append(msg["Message-ID"])
        return self._fill(msg, body, target, attachment, html, kind == "newsletter")

    def _body(self, kind: str, sender: Person, rng: random.Random) -> str:
        if kind == "ooo":
            return (f"I am out of the office until December {rng.randint(1, 20)} with limited "
                    f"access to email. For urgent matters please call the office.\n\n"
                    f"{sender.signature}")
        if kind == "bounce":
            failed = rng.choice(self.people).email
            return (f"This is the mail system at host mx.{OWN_DOMAIN}.\n\nI'm sorry to have to "
                    f"inform you that your message could not be delivered.\n\n<{failed}>: host "
                    f"said: 550 5.1.1 User unknown\n\n"
                    f"--- Below this line is a copy of the message.")
        greeting = f"Hi {rng.choice(FIRST)},\n\n"
        extra = f"\n\n{rng.choice(SIGNALS)}" if rng.random() < 0.15 else ""
        return (f"{greeting}{_prose(rng, rng.randint(3, 14))}{extra}\n\n"
                f"{rng.choice(('Best regards,', 'Thanks,', 'Kind regards,', 'Cheers,'))}\n"
                f"--\n{sender.signature}")

    def _fill(self, msg: EmailMessage, body: str, target: int,
              attachment: tuple[bytes, str] | None, html: bool, prose: bool) -> bytes:
        """The message padded to about `target` bytes: with more articles for a newsletter, with
        quoted thread history for anything else (a bounce's is the returned message)."""

        def build(quoted: str) -> bytes:
            draft = EmailMessage()
            for name, value in msg.items():
                draft[name] = value
            draft.set_content(f"{body}\n\n{quoted}".rstrip() + "\n")
            if html:
                paragraphs = "".join(f"<p>{escape(p)}</p>" for p in body.split("\n\n"))
                draft.add_alternative(f"<html><body>{paragraphs}</body></html>", subtype="html")
            if attachment:
                data, filename = attachment
                subtype = "pdf" if filename.endswith(".pdf") else \
                    "vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                draft.add_attachment(data, maintype="application", subtype=subtype,
                                     filename=filename)
            return draft.as_bytes()

        raw = build("")
        room = max(target - len(raw), MIN_BYTES - len(raw) + 256, 0)
        if prose:
            quoted = "\n\n".join(_prose(self.rng, 8) for _ in range(room // 900 + 1))[:room]
        else:
            quoted = _quoted(self.rng, room, self.when, self.people) if room else ""
        raw = build(quoted)
        while _wire_size(raw) > MAX_BYTES:
            quoted = quoted[: len(quoted) * 9 // 10]
            raw = build(quoted)
        return raw
