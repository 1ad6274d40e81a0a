"""Bytes from a mailbox to a `ParsedMessage`, whatever the bytes are.

Mail in the wild is broken in every way the RFCs allow and many they don't, and one bad message
must never stop a batch (DESIGN invariant 2), so `parse_message` never raises: every problem it
meets becomes a line in `errors`, and only bytes with no mail headers at all are `fatal`.
"""

from __future__ import annotations

import email
import hashlib
import re
from datetime import UTC, datetime
from email import policy
from email.message import Message
from email.policy import EmailPolicy
from functools import lru_cache
from typing import Any

from bs4 import BeautifulSoup, CData, NavigableString, PageElement, Tag

from agent.mail.bounces import is_machine, looks_like_bounce, scan_message
from agent.mail.model import Address, Attachment, ParsedMessage

KEPT_HEADERS = ("from", "auto-submitted", "x-autoreply", "x-autorespond", "precedence",
                "list-unsubscribe", "list-id", "return-path", "content-type", "x-failed-recipients")
# Without at least one of these the bytes are not mail (random data, a text file, a PDF).
MAIL_HEADERS = frozenset({"from", "sender", "to", "cc", "bcc", "subject", "date", "message-id",
                          "in-reply-to", "references", "received", "return-path", "mime-version",
                          "content-type", "reply-to", "delivered-to"})
SKIPPED_TAGS = frozenset({"script", "style", "head", "title", "template", "noscript"})
BLOCK_TAGS = frozenset({"p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul",
                        "ol", "blockquote", "pre", "section", "article", "header", "footer", "hr"})
ADDRESS_RE = re.compile(r"^[^@\s<>()\[\],;:\"]+@[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?$")
MSG_ID_RE = re.compile(r"<([^<>]*)>")
SURROGATES_RE = re.compile("[\udc80-\udcff]+")


@lru_cache(maxsize=4096)
def _parsed_header(name: str, value: str) -> Any:
    return policy.default.header_fetch_parse(name, value)


class _ParseOncePolicy(EmailPolicy):
    """`policy.default`, except that each header value is parsed once. The email package parses
    a header again on every read, and reads Content-Type each time a part is asked its type,
    charset or filename: that re-parsing was about 40% of the cost of reading a message. Parsed
    headers are immutable, so identical values (within a message and across messages) share one.
    """

    def header_fetch_parse(self, name: str, value: Any) -> Any:
        if isinstance(value, str) and not hasattr(value, "name"):  # raw text from the parser
            return _parsed_header(name, value)
        return super().header_fetch_parse(name, value)


POLICY = _ParseOncePolicy()


def _unescape(run: re.Match[str]) -> str:
    raw = bytes(ord(c) - 0xDC00 for c in run.group())
    try:
        return raw.decode("utf-8")
    except UnicodeError:
        return raw.decode("latin-1")


def clean(text: str) -> str:
    """Undo the surrogate escapes the email package leaves for raw 8-bit bytes (each run as utf-8,
    else latin-1) and drop NULs, so every string can be stored as text anywhere."""
    if text.isascii():  # no escapes, nothing to re-encode (and the check costs nothing)
        return text.replace("\x00", "")
    text = SURROGATES_RE.sub(_unescape, text)
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


def _header(msg: Message, name: str, errors: list[str]) -> object | None:
    """The parsed header object, or None; a header the parser chokes on is an error, not a crash."""
    try:
        value = msg.get(name)
    except Exception as exc:  # the header parser has raised on hostile input before
        errors.append(f"header {name} unreadable: {exc!r}")
        return None
    for defect in getattr(value, "defects", ()):
        errors.append(f"header {name}: {defect}")
    return value


def _text(msg: Message, name: str, errors: list[str]) -> str:
    value = _header(msg, name, errors)
    return " ".join(clean(str(value)).split()) if value is not None else ""


def _ids(value: str) -> list[str]:
    """Message ids in a header, without <> or whitespace; bare tokens when nothing is bracketed."""
    found = MSG_ID_RE.findall(value) or value.split()
    ids = ("".join(x.split()) for x in found)
    return [i for i in ids if i and len(i) <= 998 and i.isascii() and i.isprintable()]


def _addresses(msg: Message, name: str, errors: list[str]) -> list[Address]:
    value = _header(msg, name, errors)
    result: list[Address] = []
    for item in getattr(value, "addresses", ()):
        addr = clean(item.addr_spec).strip().lower()
        if not ADDRESS_RE.match(addr):
            errors.append(f"header {name}: skipped invalid address {addr!r}")
            continue
        display = " ".join(clean(item.display_name or "").split())
        result.append(Address(name=display or None, email=addr))
    return result


def _sent_at(msg: Message, errors: list[str]) -> datetime | None:
    value = _header(msg, "date", errors)
    if value is None:
        errors.append("no Date header")
        return None
    when = getattr(value, "datetime", None)
    if when is None:
        errors.append(f"unreadable Date {clean(str(value))[:80]!r}")
        return None
    try:
        return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    except OverflowError:  # year 9999 west of UTC, year 1 east of it
        errors.append(f"Date out of range {clean(str(value))[:80]!r}")
        return None


def decode_payload(part: Message, errors: list[str]) -> str:
    """A text part's content in its declared charset, else utf-8, else latin-1 (never fails)."""
    payload = part.get_payload(decode=True)
    data = payload if isinstance(payload, bytes) else b""
    charset = part.get_content_charset() or "us-ascii"
    try:
        return clean(data.decode(charset))
    except LookupError:
        errors.append(f"unknown charset {charset!r}")
    except (UnicodeError, ValueError, TypeError):
        errors.append(f"text is not valid {charset!r}")
    try:
        text = data.decode("utf-8")
        errors.append("decoded as utf-8")
    except UnicodeError:
        text = data.decode("latin-1", errors="replace")
        errors.append("decoded as latin-1")
    return clean(text)


def html_to_text(html: str) -> str:
    """Readable text from HTML: no script/style, a line break around block elements and at <br>.
    Walks the tree with an explicit stack: linear in the size of the page and safe for any depth
    (editing the tree in place is quadratic on long pages, recursion fails on deep ones)."""
    parts: list[str] = []
    stack: list[PageElement | None] = [BeautifulSoup(html, "html.parser")]
    while stack:
        node = stack.pop()
        if node is None:  # the end of a block element
            parts.append("\n")
        elif isinstance(node, Tag):
            if node.name == "br":
                parts.append("\n")
            elif node.name not in SKIPPED_TAGS:
                if node.name in BLOCK_TAGS:
                    parts.append("\n")
                    stack.append(None)
                stack.extend(reversed(node.contents))
        elif type(node) in (NavigableString, CData):
            parts.append(str(node))
    lines = [" ".join(line.split()) for line in "".join(parts).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _leaves(msg: Message) -> list[Message]:
    """Non-multipart parts in order, not descending into attached messages (their text is not
    the sender's). Iterative: hostile mail nests multiparts deeper than Python's recursion."""
    leaves: list[Message] = []
    stack = [msg]
    while stack:
        part = stack.pop()
        if part.is_multipart() and part.get_content_maintype() != "message":
            stack.extend(reversed([s for s in part.get_payload() if isinstance(s, Message)]))
        else:
            leaves.append(part)
    return leaves


def _attachment(part: Message, limit: int, errors: list[str]) -> Attachment:
    filename = clean(part.get_filename() or "") or "unnamed"
    if part.get_content_maintype() == "message" and isinstance(part.get_payload(), list):
        data = b"".join(sub.as_bytes(policy=policy.compat32) for sub in part.get_payload())
    else:
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
    if len(data) > limit:
        errors.append(f"attachment {filename!r} is {len(data)} bytes, over the {limit} limit")
        return Attachment(filename, part.get_content_type(), len(data), None)
    return Attachment(filename, part.get_content_type(), len(data), data)


def _body_and_attachments(msg: Message, limit: int, errors: list[str]
                          ) -> tuple[str, list[Attachment]]:
    plain: list[str] = []
    html: list[str] = []
    attachments: list[Attachment] = []
    for part in _leaves(msg):
        try:
            if part.get_filename() or part.get_content_disposition() == "attachment":
                attachments.append(_attachment(part, limit, errors))
            elif part.get_content_type() == "text/plain":
                plain.append(decode_payload(part, errors))
            elif part.get_content_type() == "text/html":
                html.append(decode_payload(part, errors))
            elif part.get_content_maintype() == "multipart":
                errors.append("multipart without readable parts: body kept as raw text")
                plain.append(clean(str(part.get_payload())))
        except Exception as exc:  # one unreadable part must not cost the rest of the message
            errors.append(f"part {part.get_content_type()} unreadable: {exc!r}")
    # HTML is the body only when there is no plain text; an HTML alternative nobody reads is not
    # worth BeautifulSoup's time.
    body = "\n\n".join(plain) if plain else "\n\n".join(_html_texts(html, errors))
    return body.replace("\r\n", "\n"), attachments


def _html_texts(pages: list[str], errors: list[str]) -> list[str]:
    texts = []
    for page in pages:
        try:
            texts.append(html_to_text(page))
        except Exception as exc:  # as for any unreadable part
            errors.append(f"part text/html unreadable: {exc!r}")
    return texts


def _outer_parts(msg: Message) -> list[Message]:
    """Every part, not descending into attached messages (a bounce of a bounce carries the
    first bounce's report inside its copy of the original: that report is not this one's)."""
    parts, stack = [], [msg]
    while stack:
        part = stack.pop()
        parts.append(part)
        if part.is_multipart() and part.get_content_maintype() != "message":
            stack.extend(reversed([s for s in part.get_payload() if isinstance(s, Message)]))
    return parts


def _original(headers: Message, errors: list[str]) -> tuple[str | None, list[str]]:
    """The Message-ID and the recipients of an attached original message."""
    recipients = [a.email for n in ("to", "cc", "bcc") for a in _addresses(headers, n, errors)]
    return next(iter(_ids(_text(headers, "message-id", errors))), None), recipients


def _delivery_status(msg: Message, errors: list[str]
                     ) -> tuple[list[dict[str, str]], str | None, list[str]]:
    """RFC 3464: the per-recipient blocks, and the Message-ID and recipients of the message that
    bounced (from its attached copy or headers)."""
    reports: list[dict[str, str]] = []
    bounced: str | None = None
    recipients: list[str] = []
    for part in _outer_parts(msg):
        kind = part.get_content_type()
        payload = part.get_payload()
        if kind in ("message/delivery-status", "message/global-delivery-status") and \
                isinstance(payload, list):
            # The email package parses each block (per message, per recipient) as headers.
            fields = [{k.lower(): " ".join(clean(str(v)).split()) for k, v in block.items()}
                      for block in payload]
            reports += [f for f in fields if {"final-recipient", "original-recipient",
                                              "action"} & f.keys()]
        elif kind == "message/rfc822" and isinstance(payload, list) and payload and not bounced:
            bounced, recipients = _original(payload[0], errors)
        elif kind == "text/rfc822-headers" and not bounced:
            headers = email.message_from_string(decode_payload(part, errors), policy=POLICY)
            bounced, recipients = _original(headers, errors)
    return reports, bounced, list(dict.fromkeys(recipients))


def _fatal(key: str, digest: str, errors: list[str]) -> ParsedMessage:
    return ParsedMessage(message_key=key, message_id_header=None, content_hash=digest,
                         in_reply_to=None, references=[], thread_key=key, sender=None, to=[],
                         cc=[], subject="", sent_at=None, body_text="", errors=errors, fatal=True)


def parse_message(data: bytes, max_attachment_bytes: int = 25 * 2**20) -> ParsedMessage:
    """Parse raw mail; never raises. See the module docstring for why."""
    data = bytes(data)
    digest = hashlib.sha256(data.replace(b"\r\n", b"\n")).hexdigest()
    fallback_key = f"sha256:{digest}"
    errors: list[str] = []
    try:
        msg = email.message_from_bytes(data, policy=POLICY)
        names = {name.lower() for name, _ in msg.raw_items()}
        if not names & MAIL_HEADERS:
            errors.append("no mail headers: not an email message" if data.strip()
                          else "empty message")
            return _fatal(fallback_key, digest, errors)
        return _parse(msg, names, digest, fallback_key, max_attachment_bytes, errors)
    except Exception as exc:  # last line of defence: the contract is "never raises"
        errors.append(f"parser failure: {exc!r}")
        return _fatal(fallback_key, digest, errors)


def _parse(msg: Message, names: set[str], digest: str, fallback_key: str, limit: int,
           errors: list[str]) -> ParsedMessage:
    for part in msg.walk():
        errors += [f"defect: {type(d).__name__} {d}".strip() for d in part.defects]
    id_header = _text(msg, "message-id", errors) or None
    key = next(iter(_ids(id_header or "")), fallback_key)
    in_reply_to = next(iter(_ids(_text(msg, "in-reply-to", errors))), None)
    references = _ids(_text(msg, "references", errors))
    senders = _addresses(msg, "from", errors) or _addresses(msg, "sender", errors)
    body, attachments = _body_and_attachments(msg, limit, errors)
    parsed = ParsedMessage(
        message_key=key, message_id_header=id_header, content_hash=digest,
        in_reply_to=in_reply_to, references=references,
        thread_key=(references[0] if references else in_reply_to) or key,
        sender=senders[0] if senders else None,
        to=_addresses(msg, "to", errors), cc=_addresses(msg, "cc", errors),
        subject=_text(msg, "subject", errors), sent_at=_sent_at(msg, errors), body_text=body,
        attachments=attachments,
        headers={n: _text(msg, n, errors).lower() for n in KEPT_HEADERS if n in names},
        received_count=sum(1 for n, _ in msg.raw_items() if n.lower() == "received"),
        errors=errors)
    report_type = str(msg.get_param("report-type", "delivery-status")).lower()
    machine = is_machine(parsed)
    # Some MTAs omit report-type, others nest the report in multipart/mixed: the delivery-status
    # part itself is what counts. Only machine mail is searched for an attached original.
    if msg.get_content_type() == "multipart/report" and report_type == "delivery-status" or \
            machine and msg.is_multipart():
        reports, bounced, originals = _delivery_status(msg, errors)
        parsed.delivery_reports, parsed.bounced_message_id = reports, bounced
        parsed.original_recipients = originals
    if machine and (parsed.delivery_reports or looks_like_bounce(parsed)):
        parsed.scanned_failures = scan_message(msg)  # only machine mail: the detectors cost
    return parsed
