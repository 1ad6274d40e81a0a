"""Order and quote numbers named in a message, so mail can be linked to the tenant's records.

Numbers are returned as the tenant's records spell them: a prefixed number ("ORD-10041",
"Q-2016") keeps its prefix in upper case; a bare number after a word ("order #12345") is just the
digits, and the rule says which pattern found it so the linker knows how far to trust it.
"""

from __future__ import annotations

import re

from agent.mail.model import Reference

# (kind, rule name, pattern, whether the match is the prefixed form)
PATTERNS: tuple[tuple[str, str, re.Pattern[str], bool], ...] = (
    ("order", "ORD-number", re.compile(r"\bORD-\d{3,}\b", re.IGNORECASE), True),
    ("order", "'order #' number", re.compile(
        r"\border\s*(?:#|no\.?|num(?:ber)?\.?)\s*:?\s*#?\s*(\d{3,})\b", re.IGNORECASE), False),
    ("quote", "Q-number", re.compile(r"\bQ-\d{3,}\b", re.IGNORECASE), True),
    ("quote", "'quote #' number", re.compile(
        r"\b(?:quote|bid)\s*(?:#|no\.?|num(?:ber)?\.?)\s*:?\s*#?\s*(\d{3,})\b", re.IGNORECASE),
     False),
)


def find_references(subject: str, body: str) -> list[Reference]:
    """Every order and quote number, subject matches first, each number once."""
    found: list[Reference] = []
    seen: set[tuple[str, str]] = set()
    for where, text in (("subject", subject), ("body", body)):
        hits: list[tuple[int, Reference]] = []
        for kind, rule, pattern, prefixed in PATTERNS:
            for match in pattern.finditer(text or ""):
                number = match.group().upper() if prefixed else match.group(1)
                hits.append((match.start(), Reference(kind, number, f"{rule} in {where}")))
        for _, ref in sorted(hits, key=lambda hit: hit[0]):
            if (ref.kind, ref.number) not in seen:
                seen.add((ref.kind, ref.number))
                found.append(ref)
    return found
