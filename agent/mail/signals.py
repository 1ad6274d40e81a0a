"""What a message asks for or reveals, each finding with the words that show it.

Opportunity signals feed the planner; a human request is the one thing that allows a human task
(guardrail 1: "Can you call me Thursday?" creates a task, "We should call them" does not); an
out-of-office reply pauses a cadence until the stated return date; an unsubscribe request suppresses
the address; a suspected mail loop stops automatic answers. Every finding keeps its evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from agent.mail.bounces import DAEMONS
from agent.mail.model import HumanRequest, ParsedMessage

STRENGTHS = {"complaint": 0.8, "urgency": 0.7, "upsell": 0.6, "renewal": 0.7, "referral": 0.6}


def any_of(*patterns: str) -> re.Pattern[str]:
    """One case-insensitive pattern for any of `patterns` (a list reads better than one regex)."""
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


OPPORTUNITIES = {
    "complaint": any_of(
        r"\b(?:very |extremely |really |so )?(?:disappointed|frustrat(?:ed|ing)|unhappy|upset|"
        r"dissatisfied|annoyed)\b", r"\bnot (?:happy|satisfied|acceptable)\b", r"\bunacceptable\b",
        r"\bcomplain(?:t|ts|ing|ed)?\b", r"\bworst\b", r"\bridiculous\b", r"\bstill waiting\b",
        r"\b(?:poor|terrible|awful|horrible|sloppy) (?:service|quality|work|job|report)\b",
        r"\bthis is the (?:second|third|fourth) time\b", r"\brejected (?:it|the report)\b",
        r"\b(?:errors|mistakes) (?:in|on) the report\b", r"\brefund\b"),
    "urgency": any_of(
        r"\b(?:urgent(?:ly)?|asap|emergency|time[- ]sensitive|right away|immediately)\b",
        r"\bas soon as possible\b", r"\brush\b", r"\bby (?:end|close) of (?:day|business)\b",
        r"\bneed(?:s|ed)?\b[^.?!\n]{0,30}\b(?:today|tonight|tomorrow)\b", r"\bmoved up\b",
        r"\bdeadline\b"),
    "upsell": any_of(
        r"\b(?:steady|more|additional|extra|increased) (?:volume|work|orders|business|files)\b",
        r"\badd(?:ing)? you to our (?:approved )?(?:panel|vendor list)\b",
        r"\bdo you (?:also )?(?:offer|provide|handle|cover)\b", r"\bexpand(?:ing)?\b",
        r"\b(?:other|additional|more) (?:services|properties|locations|branches|markets)\b",
        r"\bnew (?:branch|office|market|loan program)\b", r"\bmultiple (?:properties|orders)\b",
        r"\b(?:bulk|portfolio) (?:order|pricing|work|review)s?\b"),
    "renewal": any_of(
        r"\brenew(?:al|als|ing|ed)?\b", r"\bexpir(?:es|ing|ation|ed)\b",
        r"\b(?:contract|agreement|engagement|approval) (?:is )?(?:up|ends|ending)\b",
        r"\bextend (?:our|the) (?:agreement|contract|engagement)\b",
        r"\bnext year'?s? (?:pricing|fees?|fee schedule|contract|rates)\b",
        r"\bannual (?:review|agreement|contract|re-?approval)\b"),
    "referral": any_of(
        r"\breferr(?:al|als|ed|ing)\b", r"\brefer (?:you|him|her|them|a|my|our|some)\b",
        r"\brecommend(?:ed)? (?:you|your (?:firm|company|team|services))\b",
        r"\b(?:passed|gave) (?:me )?your (?:name|info|information|contact|number|email)\b",
        r"\bintroduc(?:e|ing) you to\b", r"\bsuggested (?:i|we) (?:reach out|contact|email|call)\b",
        r"\btold (?:me|us) about you\b", r"\bspoke highly of\b"),
}
REQUESTS = (  # most specific first: "call me back" is a callback, not just a call
    ("callback", any_of(r"\bcall (?:me|us) back\b", r"\breturn (?:my|our) call\b",
                        r"\bgive (?:me|us) a call back\b")),
    ("visit", any_of(
        r"\b(?:can|could|would|will) (?:you|someone|somebody|one of your \w+)(?: please)? "
        r"(?:come|stop|swing) (?:out|by|over)\b",
        r"\bcome out to (?:the|our|my) (?:property|house|home|site|office)\b",
        r"\bsend (?:someone|somebody|an? (?:appraiser|inspector))(?: out)? (?:out|over|to)\b")),
    ("meeting", any_of(
        r"\b(?:schedule|set up|arrange|book) (?:a|an|some) (?:time|meeting|appointment|zoom)\b",
        r"\b(?:can|could|shall) we meet\b", r"\blet'?s meet\b")),
    ("call", any_of(
        r"\b(?:can|could|would|will) (?:you|someone|somebody|anyone)(?: please)? "
        r"(?:call|phone|ring) (?:me|us)\b", r"\bplease (?:call|phone|ring) (?:me|us)\b",
        r"\bgive (?:me|us) a (?:call|ring|buzz)\b",
        r"\b(?:have|ask) (?:someone|somebody) (?:to )?call (?:me|us)\b",
        r"\bcall me (?:at|on|today|tomorrow|this|when|any|mon|tue|wed|thu|fri|sat|sun|\d)",
        r"\b(?:can|could) we (?:talk|chat|speak|hop on a call|get on a call|set up a call)\b",
        r"\b(?:i'?d|i would|we'?d|we would) like to (?:speak|talk) (?:with|to) (?:someone|you)\b",
        r"\b(?:set up|schedule) a (?:quick )?call\b")),
)
# Negators anywhere earlier in the sentence ("don't hesitate to call me" and "if you have questions,
# call me" are offers, not requests), and "no"/"not" right before the phrase ("no complaints").
NEGATION = any_of(r"\b(?:no need|don'?t|do not|never|not necessary|no reason|needn'?t|not to|"
                  r"feel free|hesitate|if (?!possible|you can|you could))\b[^.?!\n]*$",
                  r"\b(?:no|not|without)\s+(?:\w+\s+)?$")
UNSUBSCRIBE = any_of(
    r"\bunsubscribe\b", r"\bopt(?:ing)?[- ]?(?:me )?out\b", r"\bno (?:more|further) e-?mails?\b",
    r"\b(?:remove|take) (?:me|us|my (?:e-?mail|address|name)) (?:off|from) (?:your|the|this|all) "
    r"(?:\w+ )?(?:list|lists|mailings?|e-?mails?)\b",
    r"\bstop (?:e-?mailing|sending|contacting|spamming) (?:me|us)\b",
    r"\b(?:do not|don'?t) (?:e-?mail|contact) (?:me|us) (?:again|anymore|any more)\b")
UNSUBSCRIBE_SUBJECT = re.compile(r"(?i)^\s*(?:remove me|unsubscribe|stop)\b")
# "To unsubscribe, click", "if you wish to unsubscribe", "you can unsubscribe", ".../unsubscribe?x":
# a footer or a link explaining how, not a request ("I'd like to unsubscribe" is one).
FOOTER = re.compile(r"(?i)(?:[/?=&]|\bclick here to |\bif you (?:\w+ ){0,2}(?:wish|want|like) to |"
                    r"\byou (?:can|may) |\bsubscribe or |(?:^|[.!?:\n]\s*)to )$")
OOO_SUBJECT = any_of(r"\bout of (?:the )?office\b", r"\bautomatic reply\b",
                     r"\bauto(?:matic)?[- ]?(?:reply|response)\b", r"\bautoreply\b", r"^\s*auto:",
                     r"\baway from (?:the )?office\b", r"\bvacation (?:reply|notice)\b")
OOO_BODY = any_of(
    r"\bout of (?:the )?office\b", r"\baway from (?:the|my) (?:office|desk)\b",
    r"\bon (?:vacation|holiday|leave|pto|maternity leave|paternity leave)\b",
    r"\blimited access to e-?mail\b", r"\b(?:i am|i'm) (?:currently )?away\b",
    r"\breturn(?:ing)? to the office\b")
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
          "october", "november", "december")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
RETURN_CUE = re.compile(
    r"(?i)\b(?:back|return(?:ing|s)?|until|till|through|thru|available)\b"
    r"(?:\s+(?:in the office|to the office|to work|in|on|from|again))*\s+(?:the\s+)?")
DAY = r"(?i)(?:(?P<wd>(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*)\.?,?\s+)?"
DATES = (re.compile(DAY + r"(?P<mon>[a-z]{3,9})\.?\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?\b"
                          r"(?:,?\s+(?P<y>\d{4}))?"),
         re.compile(DAY + r"(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<mon>[a-z]{3,9})\.?"
                          r"(?:,?\s+(?P<y>\d{4}))?"),
         re.compile(r"(?P<m>\d{1,2})/(?P<d>\d{1,2})(?:/(?P<y>\d{2}(?:\d{2})?))?\b"),
         re.compile(r"(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})\b"),
         re.compile(r"(?i)(?P<wd>(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*|tomorrow)\b"))
AUTO_PREFIX = re.compile(r"(?i)(?:automatic reply|auto(?:matic)?[- ]?(?:reply|response)|"
                         r"out of (?:the )?office|auto)\s*:")


@dataclass(frozen=True)
class Hit:
    """A phrase a detector matched, where it was, and a little context around it."""

    phrase: str
    where: str  # subject | body
    context: str

    def describe(self) -> str:
        return f"'{self.phrase}' in {self.where}"


def _context(text: str, start: int, end: int, width: int = 40) -> str:
    left = text.rfind(" ", 0, max(start - width, 0)) + 1 if start > width else 0
    right = text.find(" ", end + width)
    snippet = text[left:right if right != -1 else len(text)]
    return " ".join(snippet.split())


def _negated(text: str, start: int) -> bool:
    return bool(NEGATION.search(text[max(0, start - 40):start]))


def search(pattern: re.Pattern[str], subject: str, body: str, negatable: bool = True
           ) -> Hit | None:
    """The first match in the subject, else in the body, skipping negated ones ("no need to")."""
    for where, text in (("subject", subject), ("body", body)):
        for match in pattern.finditer(text):
            if not (negatable and _negated(text, match.start())):
                return Hit(match.group(), where, _context(text, match.start(), match.end()))
    return None


def opportunity_signals(subject: str, body: str) -> dict[str, Hit]:
    """Signal kind -> its first unnegated evidence ("no complaints" is not a complaint)."""
    hits = {kind: search(pattern, subject, body) for kind, pattern in OPPORTUNITIES.items()}
    return {kind: hit for kind, hit in hits.items() if hit}


def human_request(text: str) -> HumanRequest | None:
    """An explicit request for a person to call, meet or visit; mentions and negations are not."""
    for action, pattern in REQUESTS:
        if hit := search(pattern, "", text):
            return HumanRequest(action=action, evidence=hit.context)
    return None


def is_automatic(msg: ParsedMessage) -> bool:
    """Machine-sent: auto-reply headers, bulk precedence, or a mailer daemon."""
    h = msg.headers
    local = msg.sender.email.split("@")[0] if msg.sender else ""
    return (h.get("auto-submitted", "no") != "no" or "x-autoreply" in h or "x-autorespond" in h
            or h.get("precedence", "") in ("bulk", "junk", "list", "auto_reply")
            or local in DAEMONS)


def is_bulk(msg: ParsedMessage) -> bool:
    """Newsletters and list mail: they carry their own unsubscribe footers and signatures."""
    h = msg.headers
    return "list-unsubscribe" in h or "list-id" in h or h.get("precedence") in ("bulk", "list")


def out_of_office(msg: ParsedMessage, body: str) -> Hit | None:
    """An away message: by its subject, or an automatic message saying so in its body."""
    if hit := search(OOO_SUBJECT, msg.subject, "", negatable=False):
        return hit
    return search(OOO_BODY, "", body, negatable=False) if is_automatic(msg) else None


def _month(word: str) -> int:
    """'Dec', 'dec.', 'December' -> 12; anything else 0 (which no date accepts)."""
    word = word.lower().rstrip(".")
    return next((i for i, full in enumerate(MONTHS, 1) if len(word) >= 3 and full.startswith(word)),
                0)


def _resolve(found: dict[str, str | None], sent: date | None) -> date | None:
    """A date from the matched parts; without a year it is the next such date after `sent`."""
    weekday, year_text = (found.get("wd") or "").lower(), found.get("y")
    if weekday and not found.get("mon"):
        if sent is None:
            return None
        if weekday == "tomorrow":
            return sent + timedelta(days=1)
        return sent + timedelta(days=(WEEKDAYS.index(weekday[:3]) - sent.weekday() - 1) % 7 + 1)
    month = _month(found["mon"]) if found.get("mon") else int(found.get("m") or 0)
    year = int(year_text) + (2000 if len(year_text) == 2 else 0) if year_text else None
    if year is None:
        if sent is None:
            return None
        result = date(sent.year, month, int(found.get("d") or 0))
        return result.replace(year=sent.year + 1) if result < sent - timedelta(days=60) else result
    return date(year, month, int(found.get("d") or 0))


def return_date(text: str, sent: date | None) -> date | None:
    """The return date an away message states ("back on December 2", "until 12/02/2026",
    "until Monday, Dec 1"), resolved against the message's date when it lacks a year."""
    for cue in RETURN_CUE.finditer(text):
        for pattern in DATES:
            match = pattern.match(text, cue.end())
            if match:
                try:
                    return _resolve(match.groupdict(), sent)
                except (ValueError, OverflowError):  # 31 February, year 10000
                    continue
    return None


def unsubscribe_request(msg: ParsedMessage, body: str) -> Hit | None:
    """An opt-out request. Bulk and list mail carry unsubscribe footers of their own, so for them
    only the subject counts; a List-Unsubscribe header is never a request by itself."""
    bulk = is_bulk(msg)
    if hit := search(UNSUBSCRIBE_SUBJECT, msg.subject, ""):
        return hit
    for where, text in (("subject", msg.subject), ("body", "" if bulk else body)):
        for match in UNSUBSCRIBE.finditer(text):
            before = text[max(0, match.start() - 40):match.start()]
            if not _negated(text, match.start()) and not FOOTER.search(before):
                return Hit(match.group(), where, _context(text, match.start(), match.end()))
    return None


def is_ours(value: str, own_domains: list[str], message_id: bool = False) -> bool:
    """Whether an address (or a Message-ID) belongs to the tenant. A listed domain covers its
    subdomains; a listed address covers itself, and its exact domain only for Message-IDs (so
    listing someone@gmail.com does not make every Gmail user ours)."""
    value = value.strip().lower()
    domain = value.rsplit("@", 1)[1] if "@" in value else ""
    for entry in (e.strip().lower() for e in own_domains if e and e.strip()):
        if "@" in entry:
            if value == entry or (message_id and domain == entry.rsplit("@", 1)[1]):
                return True
        elif domain and (domain == entry or domain.endswith("." + entry)):
            return True
    return False


def loop_suspected(msg: ParsedMessage, own_domains: list[str]) -> str | None:
    """Why this message looks like part of a mail loop, or None. Signs: too many hops, our own
    automatic mail coming back in, or an auto-reply to our mail that itself answers an
    auto-reply (its subject stacks auto-reply prefixes)."""
    if msg.received_count > 25:
        return f"{msg.received_count} Received headers (more than 25 hops)"
    if not is_automatic(msg):
        return None
    sender = msg.sender.email if msg.sender else ""
    if is_ours(sender, own_domains) and sender.split("@")[0] not in DAEMONS:
        return f"automatic message from our own address {sender}"
    replied = msg.in_reply_to or (msg.references[-1] if msg.references else None)
    stacked = len(AUTO_PREFIX.findall(msg.subject))
    if replied and is_ours(replied, own_domains, message_id=True) and stacked >= 2:
        return (f"auto-reply to our message <{replied}> answering an auto-reply: "
                f"{stacked} auto-reply prefixes in {msg.subject!r}")
    return None
