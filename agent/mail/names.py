"""People's names from mail headers, and the rule for merging what mail tells us into a contact.

A display name is written many ways ("Smith, John", "Dr. Jane Doe MAI", '"jane doe"'); a contact
row wants first, last and full. What a person typed into the CRM always wins over what a signature
or header suggests, so every filled field remembers its source (provenance).
"""

from __future__ import annotations

import re

TITLES = frozenset({"dr", "mr", "mrs", "ms", "miss", "mx", "prof", "rev", "sir", "madam"})
SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv", "v", "phd", "md", "esq", "cpa", "mai",
                      "sra", "ifa", "asa", "cfa", "mba", "jd"})
PARTICLES = frozenset({"van", "von", "de", "del", "della", "der", "di", "da", "du", "la", "le",
                       "st", "bin", "al", "dos", "das", "ten", "ter"})
# Mailbox names that belong to a function, not a person.
ROLE_MAILBOXES = frozenset({
    "info", "admin", "orders", "order", "sales", "support", "noreply", "no-reply", "donotreply",
    "office", "contact", "hello", "team", "billing", "accounts", "accounting", "postmaster",
    "mailer-daemon", "webmaster", "appraisals", "inspections", "scheduling", "help", "service",
    "reception", "frontdesk", "marketing", "hr", "jobs", "careers", "news", "newsletter"})
# Words that make a display name an organisation or a function rather than a person.
NOT_A_PERSON = re.compile(
    r"\b(?:inc|llc|ltd|corp|co|company|group|bank|mortgage|realty|appraisals?|inspections?|"
    r"team|support|system|service|services|notifications?|department|desk|office|daemon|"
    r"no-?reply|orders|sales|billing|admin)\b\.?", re.IGNORECASE)


def _bare(token: str) -> str:
    return token.lower().strip(".,")


def _capitalise(word: str) -> str:
    """'o'brien' -> "O'Brien", 'smith-jones' -> 'Smith-Jones'."""
    return re.sub(r"[A-Za-z]+", lambda m: m.group().capitalize(), word)


def _tokens(name: str) -> tuple[list[str], list[str], bool]:
    """Name tokens in reading order without titles, the suffixes found at the end, and whether a
    title was dropped (then a lone name is a surname: "Mr. O'Neil")."""
    name = re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", name)
    name = " ".join(name.replace('"', " ").replace("\u2019", "'").split()).strip(" '-|")
    parts = [p.strip() for p in name.split(",")]
    suffixes: list[str] = []
    while len(parts) > 1 and all(_bare(t) in SUFFIXES for t in parts[-1].split()):
        suffixes = parts.pop().split() + suffixes
    if len(parts) == 2 and parts[0] and parts[1]:  # "Last, First Middle"
        tokens = parts[1].split() + parts[0].split()
    else:
        tokens = " ".join(parts).replace(",", " ").split()
    titled = False
    while tokens and _bare(tokens[0]) in TITLES:
        tokens.pop(0)
        titled = True
    while len(tokens) > 1 and _bare(tokens[-1]) in SUFFIXES:
        suffixes.insert(0, tokens.pop())
    return tokens, suffixes, titled


def _from_display(display_name: str) -> tuple[str | None, str | None, str | None]:
    tokens, suffixes, titled = _tokens(display_name)
    if not tokens:
        return None, None, None
    text = " ".join(tokens)
    if text.isupper() or text.islower():
        tokens = [t if _bare(t) in PARTICLES else _capitalise(t) for t in tokens]
    if titled and len(tokens) == 1:
        return None, tokens[0], " ".join(tokens + suffixes)
    first = tokens[0]
    last_start = len(tokens) - 1
    while last_start > 1 and _bare(tokens[last_start - 1]) in PARTICLES:
        last_start -= 1
    last = " ".join(tokens[last_start:]) if len(tokens) > 1 else None
    full = " ".join(tokens + suffixes)
    return first, last, full


def _from_email(email: str) -> tuple[str | None, str | None, str | None]:
    """'john.smith@x' -> John Smith; a lone token ('jsmith', 'sales') is as often initials or a
    role as a first name, and a wrong name is worse than none, so it gives nothing."""
    local = email.split("@")[0].split("+")[0].lower()
    if local in ROLE_MAILBOXES:
        return None, None, None
    words = [re.sub(r"\d+", "", w) for w in re.split(r"[._-]+", local)]
    words = [w for w in words if w]
    alphabetic = all(w.replace("'", "").isalpha() for w in words)
    if not 2 <= len(words) <= 3 or not alphabetic or len(words[-1]) < 2:
        return None, None, None
    names = [_capitalise(w) for w in words]
    return names[0], names[-1], " ".join(names)


def split_name(display_name: str | None, email: str) -> tuple[str | None, str | None, str | None]:
    """(first, last, full) from a display name, or from the address when there is no name."""
    name = (display_name or "").strip()
    if name and "@" not in name and re.search(r"[^\W\d_]", name):
        return (None, None, None) if NOT_A_PERSON.search(name) else _from_display(name)
    return _from_email(email or "")


def _empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def merge_contact(current: dict, found: dict, provenance: dict[str, str], source: str
                  ) -> tuple[dict, dict]:
    """The updates `found` (from `source`) should make to `current`, and the new provenance.

    A field a person set by hand ("manual", even if they cleared it) is never overwritten, nor is
    a filled field of unknown origin (it predates provenance, so a person may have typed it);
    other empty fields are filled, and fields an automatic source filled are refreshed by the
    newer source. A "manual" source is a person editing, so it always applies.
    """
    updates: dict = {}
    new_provenance = dict(provenance)
    for field, value in found.items():
        if _empty(value) or current.get(field) == value:
            continue
        origin = provenance.get(field)
        if source != "manual" and (
                origin == "manual" or (origin is None and not _empty(current.get(field)))):
            continue
        updates[field] = value
        new_provenance[field] = source
    return updates, new_provenance
