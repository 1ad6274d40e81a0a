"""Delivery failures: which addresses bounced, why, and what that means for each address.

Evidence is read in order of trust:
1. The RFC 3464 report (message/delivery-status): one block per recipient with Final-Recipient /
   Original-Recipient, Action, Status and Diagnostic-Code.
2. X-Failed-Recipients (Exim, Gmail, Office 365 add it to plain-text bounces).
3. flufl.bounce, GNU Mailman's detectors for the vendor formats (Exim, Postfix, qmail, Sendmail,
   Exchange, Yahoo, Microsoft, GroupWise, AOL, SMTP32, the generic "SimpleMatch" phrases...),
   run by `scan_message` on the parsed email while parse_message still has it. On the corpus
   (tests/mail/bounce_samples_*.py) it is what reads qmail's local failures ("<a@b>:" then
   "Sorry, no mailbox here by that name. (#5.1.1)"); everything else the report and the text
   rules find without it.
4. Failure lines of the MTA's own text (never the copy of the original, never an address merely
   quoted elsewhere in the report).
When the original message is attached (message/rfc822 or text/rfc822-headers), its recipients
are what we sent to: an address found by 2-4 must be one of them, and a bounce naming nothing
else falls back to the original's only recipient. Each address must be a plain mailbox (no pipe,
path, source route, bare @host, daemon or mail host); at most MAX_RECIPIENTS per bounce.

Each failed recipient gets a reason and an outcome (agent/mail/bounce_reasons.py): only permanent
recipient failures suppress the address. The reason is read from the coded diagnostic, or when
that says nothing known, from the report's lines about the address. A text bounce is a delay
only while the MTA says it is still trying; a temporary failure it gave up on is final.
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
    r"warning: could not send|delayed mail|rejected|unable to deliver|mail delivery status|"
    r"warning: message \S+ delayed|"
    # Exchange's and Outlook's localized "Undeliverable:" (de, fr, nl, es, it)
    r"unzustellbar|nicht zugestellt|non remis|onbestelbaar|no se puede entregar|"
    r"non recapitabile",
    re.IGNORECASE)
BOUNCE_BODY = re.compile(
    r"did not reach the following recipient|unable to deliver (?:your |the )?message|"
    r"could not be delivered to|couldn't be delivered to|wasn't able to deliver|"
    r"was not delivered to|delivery (?:to the following recipients? )?(?:has )?failed|"
    r"following (?:address(?:es|\(es\))?|recipients?\(?s?\)?) (?:failed|had permanent)|"
    r"permanent (?:fatal )?error|delivery has been delayed|has been delayed|"
    r"message could not be delivered|undeliverable|returned to sender|"
    r"delivery to the following recipient|has not yet been delivered to|error delivering your|"
    r"error has occurred while attempting to deliver|had delivery problems|"
    r"recipients? cannot be delivered|could not be reached", re.IGNORECASE)
# The MTA is still trying (a delay notice), as opposed to a final report of a temporary failure
# ("451 try later ... I'm not going to try again; this message has been in the queue too long").
STILL_TRYING = re.compile(
    r"\bdelay(?:ed)?\b|will (?:retry|try again|be retried|keep trying|continue)|"
    r"still (?:trying|being retried)|has not yet been delivered|hasn't been delivered yet|"
    r"warning (?:message )?only|temporary failure report|do not need to re-?send",
    re.IGNORECASE)
ENHANCED_CODE = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?!\.?\d)")
SMTP_CODE = re.compile(r"(?<![\d.])([45])[0-5]\d(?:[ ,:;-]|$)")
ORIGINAL_FOLLOWS = re.compile(
    r"copy of the (?:original )?message|^\W*original message\W*$|original message follows|"
    r"headers? of the original|original message headers|^\s*message headers follow|"
    r"^\s*received:(?:\s|from\s)|^-+ ?(?:original|returned) message|^\s*-+ ?below this line",
    re.IGNORECASE)
QUOTED_HEADER = re.compile(
    r"^\s*(?:from|to|cc|subject|date|message-id|reply-to|sender|return-path):", re.IGNORECASE)
FAILURE_WORDS = re.compile(
    r"fail|undeliver|could not be delivered|couldn't be delivered|not be delivered|rejected|"
    r"does not exist|doesn't exist|unknown|no such|invalid|not found|unavailable|refused|"
    r"permanent|\b[45]\d\d\b|\b[45]\.\d{1,3}\.\d{1,3}\b|delay|retry|did not reach|"
    r"unable to deliver|not delivered|following recipient|following address|\berror\b|"
    r"nicht zugestellt|pas pu être remis|no se pudo entregar|niet worden bezorgd",
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
            smtp.group().strip(" ,:;-") if smtp else None)


def _failure(address: str, status: str, smtp: str | None, diagnostic: str | None, source: str,
             *, gave_up: bool, context: str | None = None) -> Failure:
    """`context` is the report's own words about the address, read when the diagnostic says
    nothing the reason rules know ("mailbox is full (MTA-imposed quota...)" under a bare list
    of addresses, Domino's "because: ... not listed in Domino Directory")."""
    reason = reason_for(status, diagnostic, gave_up=gave_up)
    if reason == "other" and context:
        reason = reason_for(status, context, gave_up=gave_up)
    return Failure(recipient=address, reason=reason, outcome=outcome_for(reason), status=status,
                   smtp_code=smtp, diagnostic=(diagnostic or context or "")[:300] or None,
                   source=source)


def _from_reports(msg: ParsedMessage) -> list[Failure]:
    if not msg.delivery_reports:  # most mail: no report, and reading its text costs milliseconds
        return []
    failed: list[Failure] = []
    human = _report_text(msg.body_text)
    sent_to = set(msg.original_recipients)
    for report in msg.delivery_reports:
        action = report.get("action", "failed").lower()
        if action not in ("failed", "delayed", "expired"):
            continue  # delivered, relayed, expanded: not a failure (RFC 3464 section 2.3.3)
        address = _recipient(report.get("final-recipient") or "")
        original = _recipient(report.get("original-recipient") or "")
        # The Original-Recipient is what we sent to when the Final-Recipient is something else
        # (Exchange's IMCEAEX-...@ form of an internal address, an alias it expanded).
        if valid_recipient(original) and (not valid_recipient(address) or (
                original in sent_to and address not in sent_to)):
            address = original
        if not valid_recipient(address):
            continue
        diagnostic = report.get("diagnostic-code", "")
        enhanced, smtp = _codes(report.get("status", ""))
        text_enhanced, text_smtp = _codes(diagnostic)
        # SendGrid reports a queue timeout as "Action: expired" with an empty Status.
        default = {"delayed": "4.0.0", "expired": "4.4.7"}.get(action, "5.0.0")
        status = enhanced or text_enhanced or (f"{text_smtp[:1]}.0.0" if text_smtp else default)
        if action == "delayed" and status.startswith("5"):
            status = "4" + status[1:]  # a delay is transient whatever code the MTA put on it
        failed.append(_failure(address, status, smtp or text_smtp, diagnostic or None,
                               "report", gave_up=action != "delayed",
                               context=_context(address, human)))
    return failed


def is_machine(msg: ParsedMessage) -> bool:
    """A null return path, a daemon or Exchange NDR sender, Auto-Submitted or
    X-Failed-Recipients."""
    local = msg.sender.email.split("@")[0] if msg.sender else ""
    raw_from = msg.headers.get("from", "")
    return (local in DAEMONS or local.startswith(("mailer-daemon", "postmaster",
                                                  "microsoftexchange"))
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


def _addresses(text: str) -> list[str]:
    """Addresses in free text, without the quotes Exchange puts around them ('a@b.example')."""
    return [e.strip("'").lower() for e in EMAIL.findall(text)]


def _diagnostic_for(address: str, text: str) -> str | None:
    """The first line naming an SMTP or enhanced code after the address (or anywhere), with
    the indented lines that continue it (Postfix and Exim wrap a long reply)."""
    lines = [line.rstrip() for line in text.splitlines()]
    start = next((i for i, line in enumerate(lines) if address in line.lower()), 0)
    for i in [*range(start, len(lines)), *range(start)]:
        if lines[i].strip() and (ENHANCED_CODE.search(lines[i]) or SMTP_CODE.search(lines[i])):
            indent = len(lines[i]) - len(lines[i].lstrip())
            more = []
            for line in lines[i + 1:i + 5]:
                if not line.strip() or len(line) - len(line.lstrip()) < max(indent, 1):
                    break
                more.append(line.strip())
            return " ".join([lines[i].strip(), *more])[:300]
    return None


def _context(address: str, report: str) -> str | None:
    """The report's words from the first line naming the address, up to ten lines on."""
    lines = [line.strip() for line in report.splitlines()]
    start = next((i for i, line in enumerate(lines) if address in line.lower()), None)
    if start is None:
        return None
    return " / ".join(line for line in lines[start:start + 10] if line)[:500] or None


def _from_text(msg: ParsedMessage) -> list[Failure]:
    if not looks_like_bounce(msg):
        return []
    ours = {a.email for a in msg.to + msg.cc} | ({msg.sender.email} if msg.sender else set())
    sent_to = [a for a in msg.original_recipients if a not in ours]
    listed = [(e, "x-failed-recipients")
              for e in _addresses(msg.headers.get("x-failed-recipients", ""))]
    scanned = [(a, "flufl.bounce") for a in msg.scanned_failures]
    text = [(e, "text") for e in _addresses(_failure_lines(msg.body_text))]
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
    trying = bool(STILL_TRYING.search(msg.subject) or STILL_TRYING.search(report[:3000]))
    failures = []
    for address, source in candidates.items():
        diagnostic = _diagnostic_for(address, report)
        enhanced, smtp = _codes(diagnostic or "")
        still = trying or msg.scanned_failures.get(address) == "temporary"
        status = enhanced or (f"{smtp[0]}.0.0" if smtp else "4.0.0" if still else "5.0.0")
        failures.append(_failure(address, status, smtp, diagnostic, source, gave_up=not still,
                                 context=_context(address, report) or _first_line(report)))
    return failures


def _first_line(report: str) -> str | None:
    """Some words of the MTA's own when the address is not in its text (the reason rules can
    still read "mailbox full" or "user unknown" there)."""
    lines = [line.strip() for line in report.splitlines() if FAILURE_WORDS.search(line)]
    return " / ".join(lines[:3])[:300] or None


def scan_message(message: Message) -> dict[str, str]:
    """flufl.bounce's findings on the parsed email: {address: "permanent" | "temporary"}.

    Only addresses, no reasons: the reason comes from the diagnostic text. flufl.bounce stops at
    the first detector that raises (its Yale detector does on a From header with no address) and
    logs the traceback: that message then gets no findings from it, the report and the text
    rules still read it, and parse_message never raises."""
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
