"""Header values read without the email package's header parser, where its result is known.

The parser is thorough and slow: a Date, a Message-ID or a short address list costs it 50 to
150 microseconds, and every message brings values it has not seen. For the shapes most mail
uses, what it would return follows from the text alone:

- an unstructured value (Subject, References, X-...) without an encoded word is its own text;
- a Message-ID that is a plain `<dot-atom@dot-atom>` is its own text;
- a Date is what `email.utils.parsedate_to_datetime` reads, the function the parser calls;
- an address list of plain mailboxes (`a@b`, `Name <a@b>`, `"Name, Inc." <a@b>`) is those
  addresses, none of them defective.

Each function here returns None for anything else, and the caller parses it as before, so
unusual and hostile values keep the parser's reading and the defects it records (tests compare
the two on every shape).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.headerregistry import Address, HeaderRegistry, UnstructuredHeader
from email.message import Message
from email.utils import parsedate_to_datetime
from functools import lru_cache

LINE_ENDS = re.compile(r"\n|\r")  # what the policy removes from a value before parsing it
ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
DOT_ATOM = rf"{ATEXT}(?:\.{ATEXT})*"
MESSAGE_ID = re.compile(rf"[ \t]*<{DOT_ATOM}@{DOT_ATOM}>[ \t]*")
MAILBOX = re.compile(
    rf"[ \t]*(?:({DOT_ATOM})@({DOT_ATOM})"
    rf'|(?:({ATEXT}(?: {ATEXT})*)|"([^"\\\x00-\x1f\x7f]*)")? ?<({DOT_ATOM})@({DOT_ATOM})>)[ \t]*'
)
ADDRESS_HEADERS = frozenset({"from", "sender", "to", "cc", "bcc", "reply-to"})
REGISTRY = HeaderRegistry()


@lru_cache(maxsize=256)
def _unstructured(name: str) -> bool:
    kind = REGISTRY.registry.get(name, REGISTRY.default_class)
    return issubclass(kind, UnstructuredHeader)


def _raw(msg: Message, name: str) -> str | None:
    """The value `msg.get(name)` would parse: the first such header, line ends removed."""
    for key, value in msg.raw_items():
        if key.lower() == name:
            return LINE_ENDS.sub("", value) if isinstance(value, str) else None
    return None


def quick_text(msg: Message, name: str) -> str | None:
    """A header's text with whitespace runs as single spaces, or None: parse it."""
    value = _raw(msg, name)
    if value is None or not value.isascii() or "=?" in value:
        return None
    if name in ADDRESS_HEADERS:
        found = quick_addresses(msg, name)
        value = None if found is None else ", ".join(str(a) for a in found)
    elif name == "message-id":
        value = value if MESSAGE_ID.fullmatch(value) else None
    elif not _unstructured(name):
        value = None
    return None if value is None else " ".join(value.replace("\x00", "").split())


def quick_addresses(msg: Message, name: str) -> list[Address] | None:
    """The mailboxes of an address header of plain mailboxes only, or None: parse it."""
    value = _raw(msg, name)
    if not value or not value.isascii() or "=?" in value:
        return None
    found: list[Address] = []
    at = 0
    while True:
        match = MAILBOX.match(value, at)
        if match is None:
            return None
        local, domain, phrase, quoted, angle_local, angle_domain = match.groups()
        if local is None:
            display = phrase if phrase is not None else quoted or ""
            found.append(Address(display, angle_local, angle_domain))
        else:
            found.append(Address("", local, domain))
        at = match.end()
        if at == len(value):
            return found
        if value[at] != ",":
            return None
        at += 1


def quick_date(msg: Message) -> datetime | None:
    """The Date header in UTC (a zone-less date taken as UTC), or None: parse it."""
    value = _raw(msg, "date")
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value)
        return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    except Exception:  # unreadable or out of range: the parser's reading names the problem
        return None
