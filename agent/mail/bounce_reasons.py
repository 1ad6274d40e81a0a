"""Why a delivery failed, and what that means for the address: a fixed vocabulary of reasons and
one outcome per reason.

The reason comes from the RFC 3463 enhanced status code first (class.subject.detail: 5.1.1 "bad
destination mailbox address", 5.1.2 "bad destination system address", 5.1.6 "destination mailbox
has moved", 5.2.2 "mailbox full", 5.3.4 "message too big for system", 5.7.1 "delivery not
authorized, message refused"...), then from the diagnostic text, because receivers put most of
what matters in words: a 5.7.1 is a spam filter, a policy block or our own SPF/DMARC failure
depending on what follows it, and many reply 550 5.0.0 to everything.

Outcomes:
- `suppress`: the address itself is gone (user unknown, host unknown, moved, not accepting mail):
  suppress it at once.
- `soft`: the address is probably fine, the message or the moment was not (mailbox full, too
  large, filtered, policy block, rate limited, suspended, expired, other). Recorded with its
  reason, never suppressed now. Counting soft failures per address over a window (e.g. 3 in 15
  days) before suppressing is a later step of issue 13: it needs a per-address history query.
- `delay`: a 4.x.x transient report; the MTA is still trying. Never suppresses.
- `ours`: the receiver refused *our* mail (SPF, DKIM, DMARC, our IP or domain on a blocklist).
  The recipient is fine; suppressing would wipe a provider's whole list in one incident. Never
  suppresses the recipient; raises a deliverability alert for the tenant instead.
"""

from __future__ import annotations

import re

REASONS = (
    "user_unknown", "host_unknown", "address_moved", "not_accepting", "mailbox_full",
    "message_too_large", "content_filtered", "policy_block", "rate_limited", "our_reputation",
    "delayed", "expired", "suspended", "other",
)
OUTCOMES: dict[str, str] = {
    "user_unknown": "suppress", "host_unknown": "suppress", "address_moved": "suppress",
    "not_accepting": "suppress",
    "mailbox_full": "soft", "message_too_large": "soft", "content_filtered": "soft",
    "policy_block": "soft", "rate_limited": "soft", "suspended": "soft", "expired": "soft",
    "other": "soft",
    "delayed": "delay",
    "our_reputation": "ours",
}

# RFC 3463 subject.detail -> reason, for permanent (5.x.x) codes. Codes not listed go to the text
# patterns, then to "other". 4.x.x codes are "delayed" unless the report says the MTA gave up.
ENHANCED: dict[str, str] = {
    "1.1": "user_unknown",  # bad destination mailbox address
    "1.0": "user_unknown",  # other address status (in practice: no such recipient)
    "1.2": "host_unknown",  # bad destination system address
    "1.3": "user_unknown",  # bad destination mailbox address syntax
    "1.4": "user_unknown",  # destination mailbox address ambiguous
    "1.6": "address_moved",  # destination mailbox has moved, no forwarding address
    "1.10": "user_unknown",  # recipient address has null MX (RFC 7505)
    "2.1": "not_accepting",  # mailbox disabled, not accepting messages
    "2.2": "mailbox_full",  # mailbox full
    "2.3": "message_too_large",  # message length exceeds administrative limit
    "3.4": "message_too_large",  # message too big for system
    "3.2": "not_accepting",  # system not accepting network messages
    "4.1": "host_unknown",  # no answer from host (permanent form)
    "4.2": "expired",  # bad connection
    "4.4": "host_unknown",  # unable to route
    "4.7": "expired",  # delivery time expired
    "7.1": "policy_block",  # delivery not authorised, message refused (refined by the text)
    "7.23": "our_reputation",  # SPF validation failed (RFC 7372)
    "7.24": "our_reputation",  # SPF validation error
    "7.25": "our_reputation",  # reverse DNS validation failed
    "7.26": "our_reputation",  # multiple authentication checks failed
    "7.27": "user_unknown",  # sender address has null MX -- only for our address; rare
    "7.20": "our_reputation", "7.21": "our_reputation", "7.22": "our_reputation",  # no/bad DKIM
    "7.7": "content_filtered",  # message integrity failure
    "6.0": "content_filtered",  # other or undefined media error
    "7.0": "policy_block",  # other or undefined security status
}

# Diagnostic text -> reason, checked in order (the first match wins): our side first, since a
# "550 5.7.1 ... blocked using Spamhaus" must never read as a policy block of the recipient.
TEXT: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (reason, re.compile(pattern, re.IGNORECASE)) for reason, pattern in (
        ("our_reputation", r"\bspf\b|\bdkim\b|\bdmarc\b|sender policy framework|"
                           r"blocked using|\blisted (?:at|on|in)\b|blacklist|blocklist|"
                           r"block ?list|spamhaus|spamcop|barracudacentral|\bsorbs\b|"
                           r"\bbanned sending ip\b|\bclient host \S+ blocked\b|"
                           r"\breputation\b|ipcheck\.|\b(?:your|sending|sender|this) ip\b|"
                           r"reverse dns|\bptr record|unauthenticated|ipv6 sending guidelines|"
                           r"\brbl\b|\bdnsbl\b"),
        # The recipient's own server failed to hand the mail to a program or file (an Exim
        # pipe "returned 127 (... command does not exist)"): nothing about the address.
        ("other", r"child process of|transport returned \d|unable to exec|\bpipe to \||"
                  r"cannot open /"),
        ("mailbox_full", r"quota|mailbox (?:is )?full|over ?quota|insufficient (?:disk )?"
                         r"(?:space|storage)|out of storage|mailbox size limit|"
                         r"exceeded storage|full mailbox|inbox is full"),
        ("message_too_large", r"too (?:large|big)|message size|size limit|exceeds? (?:the )?"
                              r"(?:maximum|max)|message length"),
        ("rate_limited", r"rate limit|too many|try again later|throttl|unusual rate|"
                         r"temporarily deferred|exceeded the (?:rate|limit)"),
        ("suspended", r"suspended|deactivated|account (?:is )?(?:locked|frozen)"),
        ("address_moved", r"no longer (?:with|at|employed|in use|valid)|has moved|"
                          r"address (?:has )?changed|left the (?:company|organi[sz]ation)"),
        ("host_unknown", r"host (?:or domain name )?not found|unrouteable|unroutable|"
                         r"no mx|domain (?:not found|does not exist|name not found)|"
                         r"name or service not known|nxdomain|no such domain|"
                         r"unknown (?:host|domain)|host unknown|domain unknown"),
        ("user_unknown", r"user unknown|unknown user|no such (?:user|mailbox|recipient|"
                         r"address|person)|(?:user|mailbox|recipient|address|account)"
                         r"(?: \S+)? (?:does not|doesn't|does no longer) exist|"
                         r"does not exist|doesn't exist|not a valid (?:mailbox|recipient|user)|"
                         r"invalid (?:recipient|mailbox|address|user)|"
                         r"unknown (?:recipient|mailbox|local part|address)|"
                         r"mailbox (?:not found|unavailable)|as\(201806281\)|no mailbox|"
                         r"user not found|recipient not found|not our customer|"
                         r"undeliverable address|bad destination|no such local user|"
                         r"account that you tried to reach does not exist|"
                         r"couldn't be found|could not be found|not listed in|"
                         r"(?:doesn't|does not) have an? \S+ account|wasn't found at"),
        ("not_accepting", r"not accepting|does not accept|no longer accepts|refuses? mail|"
                          r"(?:mailbox|account|address) (?:is |has been )?(?:disabled|inactive)|"
                          r"inactive (?:mailbox|account|user)"),
        ("content_filtered", r"\bspam\b|junk|content (?:rejected|filter)|virus|malware|"
                             r"\bphish|suspicious|looks like|unsolicited|bulk mail|"
                             r"message (?:was )?(?:rejected|blocked) (?:because|due|as)|"
                             r"attachment|not allowed content|banned"),
        ("expired", r"retry time|expired|giving up|gave up|timed? ?out|too long|"
                    r"could not be delivered (?:for|within)|delivery time"),
        ("policy_block", r"policy|not authori[sz]ed|access denied|blocked|refused|"
                         r"prohibited|rejected|denied|not allowed|authentication required|"
                         r"not authenticated|delivery restriction"),
    ))
# A "not listed" in user_unknown ("recipient not listed in public directory") must not read as a
# blocklist: the our_reputation "listed at/on/in" needs the word alone.
NOT_LISTED = re.compile(r"\bnot listed\b", re.IGNORECASE)
# Our side beyond doubt, even under a code that names the recipient (some MTAs send 5.1.1 or
# 5.1.8 for an SPF or blocklist refusal).
STRONG_OURS = re.compile(r"\bspf\b|\bdmarc\b|\bdkim\b|blocked using|spamhaus|spamcop|"
                         r"\blisted (?:at|on|in)\b", re.IGNORECASE)


def reason_for(status: str, diagnostic: str | None, *, gave_up: bool = False) -> str:
    """The reason for one recipient's failure.

    `status` is the RFC 3463 enhanced code ("5.1.1"; "5.0.0"/"4.0.0" when only the class is
    known), `diagnostic` the receiver's words, `gave_up` whether the report is final (Action:
    failed) even though the code is 4.x.x: a temporary failure retried until the queue expired is
    "expired", never "delayed".
    """
    text = diagnostic or ""
    klass, _, detail = status.partition(".")
    from_code = ENHANCED.get(detail) if klass in ("4", "5") else None
    from_text = _from_text(text)
    if klass == "4" and not gave_up:
        # Transient by definition (RFC 3463 section 3.1). Only our reputation is worth knowing now.
        return "our_reputation" if from_text == "our_reputation" else "delayed"
    reason = _permanent(klass, detail, from_code, from_text, text)
    if klass == "4" and OUTCOMES[reason] == "suppress":
        # Retried until the queue gave up ("4.4.1 no answer from host", "450 mailbox
        # unavailable"): the address was never refused for good.
        return "expired"
    return reason


def _permanent(klass: str, detail: str, from_code: str | None, from_text: str | None,
               text: str) -> str:
    """A final report's reason: the code where it is specific, the words where it is not."""
    # 5.7.1, 5.1.0, 5.2.1, 5.4.1 and undefined codes say little by themselves: the words decide
    # (Office 365 answers 5.4.1 "Recipient address rejected: Access denied. AS(201806281)" for
    # an address its directory does not know).
    refinable = (from_code in (None, "policy_block", "content_filtered")
                 or detail in ("1.0", "2.1", "4.1"))
    if from_text == "our_reputation" and (refinable or STRONG_OURS.search(text)):
        return "our_reputation"
    if from_code and (not refinable or from_text == "policy_block"):
        return from_code  # a bare "rejected" or "denied" says less than the code
    if detail == "2.1" and from_text not in ("rate_limited", "suspended", "mailbox_full"):
        return "not_accepting"
    return from_text or from_code or ("expired" if klass == "4" else "other")


def _from_text(text: str) -> str | None:
    for reason, pattern in TEXT:
        match = pattern.search(text)
        if match and not (reason == "our_reputation" and match.group().lower().startswith("listed")
                          and NOT_LISTED.search(text)):
            return reason
    return None


def outcome_for(reason: str) -> str:
    """`suppress`, `soft`, `delay` or `ours` (see the module docstring)."""
    return OUTCOMES.get(reason, "soft")
