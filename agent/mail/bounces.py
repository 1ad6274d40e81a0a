"""Delivery failures: which addresses bounced, why, and what that means for each address.

Evidence is read in order of trust:
1. The RFC 3464 report (message/delivery-status): one block per recipient with Final-Recipient /
   Original-Recipient, Action, Status and Diagnostic-Code.
2. X-Failed-Recipients (Exim, Gmail, Office 365 add it to plain-text bounces).
3. flufl.bounce, GNU Mailman's detectors for the vendor formats (Exim, Postfix, qmail, Sendmail,
   Exchange, Yahoo, Microsoft, GroupWise, AOL, SMTP32, the generic "SimpleMatch" phrases...),
   run by `scan_message` on the parsed email while parse_message still has it.
4. Failure lines of the MTA's own text (never the copy of the original, never an address merely
   quoted elsewhere in the report).
When the original message is attached (message/rfc822 or text/rfc822-headers), its recipients
are what we sent to: an address found by 2-4 must be one of them, and a bounce naming nothing
else falls back to the original's only recipient. Each address must be a plain mailbox (no pipe,
path, source route, bare @host, daemon or mail host); at most MAX_RECIPIENTS per bounce.

Each failed recipient gets a reason and an outcome (agent/mail/bounce_reasons.py): only permanent
recipient failures suppress the address.
"""

from __future__ import annotations

import re
from email.message import Message

from agent.mail.bounce_reasons import outcome_for, reason_for
from agent.mail.model import Bounce, Failure, ParsedMessage

DAEMONS = frozenset({"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon", "maildaemon",
                     "mail-delivery-subsystem", "bounce", "bounces", "mdaemon", "mailer"})
BOUNCE_SUBJECT = re.compile(
    r"undeliverable|undelivered|delivery status notification|non-?delivery|"
    r"mail delivery (?:failed|failure|problem|error|subsystem)|returned mail|"
    r"delivery (?:failure|failed|problem|error|notification|report)|failure notice|"
    r"could not (?:be )?deliver|couldn't be delivered|delivery has failed|delivery delayed|"
    r"not delivered|mail system error|message (?:not delivered|delivery failed|bounced)|"
    r"warning: could not send|delayed mail|rejected|unable to deliver",
    re.IGNORECASE)
BOUNCE_BODY = re.compile(
    r"did not reach the following recipient|unable to deliver (?:your |the )?message|"
    r"could not be delivered to|couldn't be delivered to|wasn't able to deliver|"
    r"was not delivered to|delivery (?:to the following recipients? )?(?:has )?failed|"
    r"following (?:address(?:es|\(es\))?|recipients?\(?s?\)?) (?:failed|had permanent)|"
    r"permanent (?:fatal )?error|delivery has been delayed|has been delayed|"
    r"message could not be delivered|undeliverable|returned to sender|"
    r"delivery to the following recipient", re.IGNORECASE)
SOFT_WORDS = re.compile(r"\bdelay(?:ed)?\b|will (?:retry|try again|be retried)|"
                        r"temporar|still trying", re.IGNORECASE)
ENHANCED_CODE = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?!\.?\d)")
SMTP_CODE = re.compile(r"(?<![\d.])([45])[0-5]\d(?:[ -]|$)")
ORIGINAL_FOLLOWS = re.compile(
    r"copy of the (?:original )?message|^\W*original message\W*$|original message follows|"
    r"headers? of the original|^\s*received:\s|^-+ ?(?:original|returned) message|"
    r"^\s*-+ ?below this line", re.IGNORECASE)
QUOTED_HEADER = re.compile(
    r"^\s*(?:from|to|cc|subject|date|message-id|reply-to|sender|return-path):", re.IGNORECASE)
FAILURE_WORDS = re.compile(
    r"fail|undeliver|could not be delivered|couldn't be delivered|not be delivered|rejected|"
    r"does not exist|doesn't exist|unknown|no such|invalid|not found|unavailable|refused|"
    r"permanent|\b5\d\d\b|\b5\.\d{1,3}\.\d{1,3}\b|delay|retry|did not reach|"
    r"unable to deliver|not delivered|following recipient|following address",
    re.IGNORECASE,
)
HELP_WORDS = re.compile(r"\bhelp|support|contact|write to|questions|administrator|helpdesk|"
                        r"\bcall\b|assistance", re.IGNORECASE)
MAX_RECIPIENTS = 3  # from free text, X-Failed-Recipients or flufl.bounce
MAX_REPORT_RECIPIENTS = 10  # from RFC 3464 blocks, one per recipient we sent to
EMAIL = re.compile(r"[a-z0-9._%+'=-]+@[a-z0-9.-]+\.[a-z]{2,}", re.IGNORECASE)
MAILBOX = re.compile(r"^[a-z0-9!#$%&'*+=?^_`{}~-]+(?:\.[a-z0-9!#$%&'*+=?^_`{}~-]+)*"
                     r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
MAIL_HOST = re.compile(r"^(?:mx|smtp|mail|mta|relay|mailhost|smtp-in|in|inbound)\d*[.-]",
                       re.IGNORECASE)


def valid_recipient(address: str, *, from_text: bool = False) -> bool:
    """A plain mailbox we could have sent to: not a pipe command, a path, a source route, a bare
    @host, a mail daemon, nor (when read from free text) a mail host's own address."""
    local, _, domain = address.rpartition("@")
    if len(address) > 254 or len(local) > 64 or not MAILBOX.match(address):
        return False
    if local in DAEMONS or local.startswith(("mailer-daemon", "postmaster")):
        return False
    return not (from_text and (MAIL_HOST.match(domain) or local in ("root", "nobody", "abuse")))


def _recipient(value: str) -> str:
    """'rfc822; Jane@X.example' -> 'jane@x.example'."""
    kind, sep, address = value.partition(";")
    return (address if sep else kind).strip().strip("<>").strip().lower()


def _codes(text: str) -> tuple[str | None, str | None]:
    """The enhanced status code and the SMTP reply code in a diagnostic, when present."""
    enhanced = ENHANCED_CODE.search(text)
    smtp = SMTP_CODE.search(text)
    return (enhanced.group() if enhanced else None,
            smtp.group().strip(" -") if smtp else None)


def _failure(address: str, status: str, smtp: str | None, diagnostic: str | None, source: str,
             *, gave_up: bool) -> Failure:
    reason = reason_for(status, diagnostic, gave_up=gave_up)
    return Failure(recipient=address, reason=reason, outcome=outcome_for(reason), status=status,
                   smtp_code=smtp, diagnostic=(diagnostic or "")[:300] or None, source=source)


def _from_reports(msg: ParsedMessage) -> list[Failure]:
    failed: list[Failure] = []
    for report in msg.delivery_reports:
        action = report.get("action", "failed").lower()
        if action not in ("failed", "delayed"):
            continue  # delivered, relayed, expanded: not a failure (RFC 3464 section 2.3.3)
        address = _recipient(report.get("final-recipient") or "")
        original = _recipient(report.get("original-recipient") or "")
        if not valid_recipient(address) and valid_recipient(original):
            address = original
        if not valid_recipient(address):
            continue
        diagnostic = report.get("diagnostic-code", "")
        enhanced, smtp = _codes(report.get("status", ""))
        text_enhanced, text_smtp = _codes(diagnostic)
        status = enhanced or text_enhanced or (f"{(text_smtp or '')[:1]}.0.0" if text_smtp else
                                               "4.0.0" if action == "delayed" else "5.0.0")
        if action == "delayed" and status.startswith("5"):
            status = "4" + status[1:]  # a delay is transient whatever code the MTA put on it
        failed.append(_failure(address, status, smtp or text_smtp, diagnostic or None,
                               "report", gave_up=action == "failed"))
    return failed


def is_machine(msg: ParsedMessage) -> bool:
    """A null return path, a daemon sender, Auto-Submitted or X-Failed-Recipients."""
    local = msg.sender.email.split("@")[0] if msg.sender else ""
    raw_from = msg.headers.get("from", "")
    return (local in DAEMONS or local.startswith(("mailer-daemon", "postmaster"))
            or (msg.sender is None and ("daemon" in raw_from or "postmaster" in raw_from))
            or bool(msg.headers.get("x-failed-recipients"))
            or msg.headers.get("return-path", "").strip() in ("<>", "")
            and "return-path" in msg.headers
            or msg.headers.get("auto-submitted", "no") != "no")


def looks_like_bounce(msg: ParsedMessage) -> bool:
    """Machine-sent, and a bounce by its subject, its opening text, or a detector's findings."""
    if not is_machine(msg):
        return False
    return bool(BOUNCE_SUBJECT.search(msg.subject) or BOUNCE_BODY.search(msg.body_text[:4000])
                or msg.headers.get("x-failed-recipients") or msg.scanned_failures)


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
        heading = FAILURE_WORDS.search(previous) and previous.rstrip().endswith((":", "-"))
        if (FAILURE_WORDS.search(line) or heading) and not HELP_WORDS.search(line):
            kept.append(line)
        if line.strip():
            previous = line
    return "\n".join(kept)


def _diagnostic_for(address: str, text: str) -> str | None:
    """The first line naming an SMTP or enhanced code after the address (or anywhere)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    start = next((i for i, line in enumerate(lines) if address in line.lower()), 0)
    for line in lines[start:] + lines[:start]:
        if ENHANCED_CODE.search(line) or SMTP_CODE.search(line):
            return line[:300]
    return None


def _from_text(msg: ParsedMessage) -> list[Failure]:
    if not looks_like_bounce(msg):
        return []
    ours = {a.email for a in msg.to + msg.cc} | ({msg.sender.email} if msg.sender else set())
    sent_to = [a for a in msg.original_recipients if a not in ours]
    listed = [(e.lower(), "x-failed-recipients")
              for e in EMAIL.findall(msg.headers.get("x-failed-recipients", ""))]
    scanned = [(a, "flufl.bounce") for a in msg.scanned_failures]
    text = [(e.lower(), "text") for e in EMAIL.findall(_failure_lines(msg.body_text))]
    candidates: dict[str, str] = {}
    for address, source in listed or scanned + text:
        if address not in ours and address not in candidates and \
                valid_recipient(address, from_text=source == "text"):
            candidates[address] = source
    if sent_to:
        # What we sent to is known: only those addresses can have failed.
        kept = {a: s for a, s in candidates.items() if a in sent_to}
        if not kept and len(sent_to) == 1 and valid_recipient(sent_to[0]):
            kept = {sent_to[0]: "original"}
        candidates = kept
    if not candidates or len(candidates) > MAX_RECIPIENTS:
        return []  # naming many addresses: a quoted thread or a scanner notice, not a bounce
    report = _report_text(msg.body_text)
    soft = bool(SOFT_WORDS.search(msg.subject) or SOFT_WORDS.search(report[:2000]))
    failures = []
    for address, source in candidates.items():
        diagnostic = _diagnostic_for(address, report)
        enhanced, smtp = _codes(diagnostic or "")
        if msg.scanned_failures.get(address) == "temporary":
            soft = True
        status = enhanced or (f"{smtp[0]}.0.0" if smtp else "4.0.0" if soft else "5.0.0")
        failures.append(_failure(address, status, smtp, diagnostic or _first_line(report),
                                 source, gave_up=not soft))
    return failures


def _first_line(report: str) -> str | None:
    """Some words of the MTA's own when there is no coded diagnostic line (the reason rules can
    still read "mailbox full" or "user unknown" there)."""
    lines = [line.strip() for line in report.splitlines() if FAILURE_WORDS.search(line)]
    return " / ".join(lines[:3])[:300] or None


def scan_message(message: Message) -> dict[str, str]:
    """flufl.bounce's findings on the parsed email: {address: "permanent" | "temporary"}.

    Only addresses, no reasons: the reason comes from the diagnostic text. A detector raising on
    hostile input costs only its findings (parse_message must never raise)."""
    from flufl.bounce import all_failures

    try:
        temporary, permanent = all_failures(message)
    except Exception:
        return {}
    found: dict[str, str] = {}
    for kind, addresses in (("permanent", permanent), ("temporary", temporary)):
        for raw in sorted(addresses):
            address = (raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw))
            address = address.strip().strip("<>").lower()
            if valid_recipient(address):
                found.setdefault(address, kind)
    return found


def bounce_from(msg: ParsedMessage) -> Bounce | None:
    """The failed delivery this message reports, or None when it is not a bounce."""
    failures = _from_reports(msg)
    source = "report"
    if not failures:
        if msg.delivery_reports and not any(r.get("action", "failed").lower()
                                            in ("failed", "delayed") for r in msg.delivery_reports):
            return None  # a delivery-success (or relayed, expanded) report
        failures = _from_text(msg)
        source = failures[0].source if failures else ""
    ours = {a.email for a in msg.to} | ({msg.sender.email} if msg.sender else set())
    kept: dict[str, Failure] = {}
    for failure in failures:
        if failure.recipient not in ours:  # a bounce of a bounce names our own address
            kept.setdefault(failure.recipient, failure)
    if not kept:
        return None
    return Bounce(failures=list(kept.values())[:MAX_REPORT_RECIPIENTS], source=source)
