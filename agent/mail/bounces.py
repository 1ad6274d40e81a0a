"""Delivery failures: which addresses bounced, and whether for good.

A hard bounce (5.x.x) suppresses the address; a soft one (4.x.x) is only noted, since mailbox-full
and greylisting pass. Standard RFC 3464 reports are read from their per-recipient blocks; the many
MTAs that send plain-text bounces are recognised by sender and subject, and their failed addresses
come from X-Failed-Recipients or the body.
"""

from __future__ import annotations

import re

from agent.mail.model import Bounce, ParsedMessage

DAEMONS = frozenset({"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon"})
BOUNCE_SUBJECT = re.compile(
    r"undeliverable|undelivered mail|delivery status notification \((?:failure|delay)\)|"
    r"mail delivery (?:failed|failure)|returned mail|delivery failure|failure notice|"
    r"could not be delivered|delivery has failed|delivery delayed",
    re.IGNORECASE)
SOFT_WORDS = re.compile(r"\bdelay(?:ed)?\b|will (?:retry|try again)|temporar", re.IGNORECASE)
ENHANCED_CODE = re.compile(r"(?<![\d.])([45])\.(\d{1,3})\.(\d{1,3})(?!\.?\d)")
SMTP_CODE = re.compile(r"(?<![\d.])([45])[0-5]\d[ -]")
ORIGINAL_FOLLOWS = re.compile(
    r"copy of the (?:original )?message|^\W*original message\W*$|original message follows|"
    r"headers? of the original|^\s*received:\s", re.IGNORECASE)
QUOTED_HEADER = re.compile(
    r"^\s*(?:from|to|cc|subject|date|message-id|reply-to|sender|return-path):", re.IGNORECASE)
FAILURE_WORDS = re.compile(
    r"fail|undeliver|could not be delivered|couldn't be delivered|not be delivered|rejected|"
    r"does not exist|doesn't exist|unknown|no such|invalid|not found|unavailable|refused|"
    r"permanent|\b5\d\d\b|\b5\.\d{1,3}\.\d{1,3}\b|delay|retry",
    re.IGNORECASE,
)
MAX_TEXT_RECIPIENTS = 5
EMAIL = re.compile(r"[a-z0-9._%+'-]+@[a-z0-9.-]+\.[a-z]{2,}", re.IGNORECASE)


def _recipient(value: str) -> str:
    """'rfc822; Jane@X.example' -> 'jane@x.example'."""
    kind, sep, address = value.partition(";")
    return (address if sep else kind).strip().strip("<>").lower()


def _status(report: dict[str, str]) -> str:
    """The enhanced status code, else one derived from the SMTP code or the action."""
    for text in (report.get("status", ""), report.get("diagnostic-code", "")):
        if match := ENHANCED_CODE.search(text):
            return match.group()
    if match := SMTP_CODE.search(report.get("diagnostic-code", "") + " "):
        return f"{match.group(1)}.0.0"
    return "4.0.0" if report.get("action", "").lower() == "delayed" else "5.0.0"


def _from_reports(msg: ParsedMessage) -> Bounce | None:
    failed: list[tuple[str, str, str | None]] = []
    for report in msg.delivery_reports:
        if report.get("action", "failed").lower() not in ("failed", "delayed"):
            continue
        address = _recipient(report.get("final-recipient") or report.get("original-recipient", ""))
        if address:
            failed.append((address, _status(report), report.get("diagnostic-code")))
    if not failed:
        return None
    # One Bounce per message: the hard failures when there are any, since those change state.
    hard = [f for f in failed if f[1].startswith("5")]
    chosen = hard or failed
    return Bounce(recipients=list(dict.fromkeys(a for a, _, _ in chosen)), status=chosen[0][1],
                  hard=bool(hard), diagnostic=chosen[0][2])


def _is_plain_bounce(msg: ParsedMessage) -> bool:
    """A mailer daemon, or a machine-sent message with a bounce subject."""
    local = msg.sender.email.split("@")[0] if msg.sender else ""
    failed_header = bool(msg.headers.get("x-failed-recipients"))
    machine = (failed_header or msg.headers.get("return-path", "").strip() == "<>"
               or msg.headers.get("auto-submitted", "no") != "no")
    subject = bool(BOUNCE_SUBJECT.search(msg.subject))
    return (local in DAEMONS and (subject or failed_header)) or (subject and machine)


def _report_text(body: str) -> str:
    """The MTA's own words: up to the copy of the original message, without quoted header lines
    (whose From/To addresses are the sender's and ours, not the failed ones)."""
    kept: list[str] = []
    for line in body.splitlines():
        if ORIGINAL_FOLLOWS.search(line):
            break
        if not QUOTED_HEADER.match(line):
            kept.append(line)
    return "\n".join(kept)


def _failure_lines(body: str) -> str:
    """Only the lines that state a failure, or follow one ("The following address failed:"):
    an address merely quoted in the report must never be suppressed."""
    kept, previous = [], ""
    for line in _report_text(body).splitlines():
        if FAILURE_WORDS.search(line) or FAILURE_WORDS.search(previous):
            kept.append(line)
        if line.strip():
            previous = line
    return "\n".join(kept)


def _from_text(msg: ParsedMessage) -> Bounce | None:
    if not _is_plain_bounce(msg):
        return None
    listed = msg.headers.get("x-failed-recipients", "")
    ours = {a.email for a in msg.to + msg.cc} | ({msg.sender.email} if msg.sender else set())
    found = [e.lower() for e in EMAIL.findall(listed or _failure_lines(msg.body_text))]
    recipients = [e for e in dict.fromkeys(found)
                  if e not in ours and e.split("@")[0] not in DAEMONS]
    if not recipients or (not listed and len(recipients) > MAX_TEXT_RECIPIENTS):
        return None  # a free-text "bounce" naming many addresses is more likely a quoted thread
    diagnostic: str | None = None
    status = ""
    for line in msg.body_text.splitlines():
        if match := ENHANCED_CODE.search(line) or SMTP_CODE.search(line + " "):
            code = match.group()
            status = code if "." in code else f"{code[0]}.0.0"
            diagnostic = line.strip()[:300]
            break
    if not status:
        soft = SOFT_WORDS.search(msg.subject) or SOFT_WORDS.search(msg.body_text)
        status = "4.0.0" if soft else "5.0.0"
    return Bounce(recipients=recipients, status=status, hard=status.startswith("5"),
                  diagnostic=diagnostic)


def bounce_from(msg: ParsedMessage) -> Bounce | None:
    """The failed delivery this message reports, or None when it is not a bounce."""
    if msg.delivery_reports:
        return _from_reports(msg)
    return _from_text(msg)
