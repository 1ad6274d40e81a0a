"""Contact details from the signature block at the end of a message (enrichment).

People put their direct line, title, company and LinkedIn under their name far more reliably
than anywhere else, so the signature is the cheapest enrichment source. Quoted text is removed
first: the signature inside a quoted reply belongs to someone else (often to us).
"""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers

from agent.mail.model import Address, SignatureInfo

QUOTE_START = re.compile(
    r"^\s*(?:-{2,}\s*(?:original message|forwarded message)\s*-{2,}|_{10,}|"
    r"begin forwarded message:)\s*$", re.IGNORECASE)
WROTE = re.compile(r"^\s*on\b.{0,250}\bwrote:\s*$", re.IGNORECASE | re.DOTALL)
OUTLOOK_HEADER = re.compile(r"^\s*\**from:\**\s", re.IGNORECASE)
OUTLOOK_NEXT = re.compile(r"^\s*\**(?:sent|date|to|subject):\**\s", re.IGNORECASE)
DELIMITER = re.compile(r"^\s*(?:--|—|–)\s*$")
SIGN_OFF = re.compile(
    r"^\s*(?:best|best regards|kind regards|warm regards|warmest regards|regards|many thanks|"
    r"thanks|thank you|thanks again|thx|cheers|sincerely|respectfully|all the best|warmly|"
    r"take care|talk soon|with thanks|yours truly|cordially)\s*[,.!-]?\s*$", re.IGNORECASE)
TITLE_WORDS = re.compile(
    r"\b(?:manager|director|owner|officer|coordinator|vp|svp|evp|president|appraiser|inspector|"
    r"loan|processor|underwriter|realtor|agent|broker|partner|principal|founder|ceo|cfo|coo|"
    r"cto|head|lead|specialist|analyst|assistant|associate|consultant|administrator|supervisor|"
    r"executive|representative|closer|originator|reviewer|paralegal|attorney|counsel|engineer|"
    r"secretary|treasurer|chair|controller|accountant)\b", re.IGNORECASE)
COMPANY_WORDS = re.compile(
    r"\b(?:inc|llc|llp|ltd|corp|corporation|co|company|group|bank|bancorp|mortgage|realty|"
    r"appraisals?|appraisers|inspections?|lending|lenders?|financial|credit union|title|escrow|"
    r"partners|associates|valuations?|services|capital|home loans|properties|real estate|"
    r"homes|amc|management|holdings|agency|insurance|trust|savings|federal)\b\.?", re.IGNORECASE)
STRONG_COMPANY = re.compile(
    r"\b(?:inc|llc|llp|ltd|corp|corporation|co|company|group|bank|bancorp|credit union|realty|"
    r"holdings|amc)\b\.?|&", re.IGNORECASE)
LINKEDIN = re.compile(r"(?:https?://)?(?:[a-z]{2,3}\.)?linkedin\.com/in/([A-Za-z0-9_%-]+)",
                      re.IGNORECASE)
SUFFIX = (r"(?:st|street|ave|avenue|rd|road|blvd|boulevard|dr|drive|ln|lane|way|ct|court|pl|"
          r"place|pkwy|parkway|hwy|highway|cir|circle|ter|terrace|trl|trail|sq|square|loop|"
          r"plaza|pike|row|run|motorway|crossing|xing)")
STREET = re.compile(
    rf"\b\d{{1,6}}(?:\s+[NSEW]\.?)?(?:\s+[A-Za-z0-9.'-]+){{1,4}}?\s+{SUFFIX}\b\.?"
    r"(?:,?\s+(?:suite|ste\.?|unit|apt\.?|#)\s*[\w-]+)?"
    r"(?:,?\s+[A-Za-z][A-Za-z .'-]+,\s*[A-Z]{2}\.?\s+\d{5}(?:-\d{4})?)?", re.IGNORECASE)
CITY_LINE = re.compile(r"^[A-Za-z][A-Za-z .'-]+,\s*[A-Z]{2}\.?\s+\d{5}(?:-\d{4})?$")
NOISE = re.compile(r"@|https?://|www\.|\d{3}")
FAX = re.compile(r"\bfax\b|^\s*f\s*[:.]", re.IGNORECASE)
MAX_BLOCK_LINES = 10


@lru_cache(maxsize=8)  # analysis asks twice per message: for its own words and the signature
def unquoted(text: str) -> str:
    """The text a sender wrote: quoted lines ("> ...") and quoted sections dropped."""
    lines = text.replace("\r\n", "\n").split("\n")
    kept: list[str] = []
    for i, line in enumerate(lines):
        two = line + " " + lines[i + 1] if i + 1 < len(lines) else line
        if QUOTE_START.match(line) or WROTE.match(line) or (
                line.lstrip().lower().startswith("on ") and WROTE.match(two)):
            break
        if OUTLOOK_HEADER.match(line) and any(OUTLOOK_NEXT.match(n) for n in lines[i + 1:i + 5]):
            break
        if not line.lstrip().startswith(">"):
            kept.append(line)
    return "\n".join(kept).strip()


def own_words(text: str) -> str:
    """The sender's words: quoted text removed and everything from the last "-- " line cut off,
    so evidence and classification never come from a signature."""
    lines = unquoted(text).split("\n")
    cut = max((i for i, line in enumerate(lines) if DELIMITER.match(line)), default=len(lines))
    return "\n".join(lines[:cut]).strip()


def _trailing(lines: list[str]) -> list[str]:
    block = [line.strip() for line in lines if line.strip()]
    return block[:MAX_BLOCK_LINES]


def find_block(text: str, sender: Address | None) -> list[str]:
    """The signature's lines: after the last "-- " delimiter, else after the last sign-off when
    all that follows is short lines, else a final paragraph that starts with the sender's name."""
    lines = unquoted(text).split("\n")
    for i in range(len(lines) - 1, -1, -1):
        if DELIMITER.match(lines[i]):  # long lines under a signature are legal disclaimers
            return _trailing([line for line in lines[i + 1:] if len(line) <= 100])
    for i in range(len(lines) - 1, -1, -1):
        if SIGN_OFF.match(lines[i]):
            block = _trailing(lines[i + 1:])
            return block if all(len(line) <= 80 for line in block) else []
    name = (sender.name or "").strip().lower() if sender else ""
    paragraphs = [p for p in "\n".join(lines).split("\n\n") if p.strip()]
    if name and paragraphs:
        block = _trailing(paragraphs[-1].split("\n"))
        if len(block) > 1 and block[0].lower() == name:
            return block
    return []


def _phone(block: list[str]) -> str | None:
    """First plausible number, skipping fax lines; US numbers with any area code are kept since
    new area codes appear faster than the metadata is updated."""
    pieces = [p for line in block for p in re.split(r"\s*[|•·]\s*|\s{2,}|\t", line)]
    for piece in pieces:
        if FAX.search(piece) or not any(c.isdigit() for c in piece):  # no digits, no number
            continue
        for match in phonenumbers.PhoneNumberMatcher(
                piece, "US", leniency=phonenumbers.Leniency.POSSIBLE):
            number = match.number
            national = str(number.national_number)
            if phonenumbers.is_valid_number(number) or (
                    number.country_code == 1 and len(national) == 10 and national[0] in "23456789"):
                return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return None


def _pieces(line: str) -> list[str]:
    """'Loan Officer | Acme Bank' -> ['Loan Officer', 'Acme Bank']."""
    return [p.strip() for p in re.split(r"\s+[|•·]\s+|\s+[-–—]\s+|\|", line) if p.strip()]


def _looks_like_name(line: str, sender: Address | None) -> bool:
    if sender and sender.name and line.lower() == sender.name.strip().lower():
        return True
    words = line.split()
    return 2 <= len(words) <= 4 and all(
        w[:1].isupper() and re.sub(r"[.'-]", "", w).isalpha() for w in words) and not (
        TITLE_WORDS.search(line) or COMPANY_WORDS.search(line))


def _classify_piece(piece: str) -> tuple[str | None, str | None]:
    """(title, company) in one piece of a line. "Owner, Smith Appraisal LLC" holds both; in
    "VP, Sales" the comma is part of the title; "Escrow Officer" is a title despite 'escrow'."""
    subs = [s.strip() for s in piece.split(",") if s.strip()]
    companies = [s for s in subs if COMPANY_WORDS.search(s) and (
        STRONG_COMPANY.search(s) or not TITLE_WORDS.search(s))]
    if len(subs) > 1 and companies:
        rest = ", ".join(s for s in subs if s not in companies)
        return (rest if TITLE_WORDS.search(rest) else None), companies[0]
    if TITLE_WORDS.search(piece) and not STRONG_COMPANY.search(piece):
        return piece, None
    return None, (piece if COMPANY_WORDS.search(piece) else None)


def _title_and_company(block: list[str], sender: Address | None
                       ) -> tuple[str | None, str | None]:
    title = company = None
    plain = [line for line in block if not NOISE.search(line) and not STREET.search(line)]
    for line in block:
        pieces = [p for p in _pieces(line) if not NOISE.search(p) and not STREET.search(p)]
        for piece in pieces:
            found_title, found_company = _classify_piece(piece)
            title = title or found_title
            company = company or found_company
        if company is None and title in pieces and len(pieces) == 2:  # "Title | Company"
            company = pieces[1 - pieces.index(title)]
    if title is None and len(plain) > 1 and _looks_like_name(plain[0], sender):
        candidate = plain[1]
        if candidate != company and len(candidate) <= 60 and not COMPANY_WORDS.search(candidate):
            title = candidate
    return title, company


def _address(block: list[str]) -> str | None:
    for i, line in enumerate(block):
        if match := STREET.search(line):
            street = match.group().strip(" ,")
            following = block[i + 1] if i + 1 < len(block) else ""
            if not re.search(r"\d{5}", street) and CITY_LINE.match(following):
                street = f"{street}, {following}"
            return street
    return None


def extract_signature(body_text: str, sender: Address | None) -> SignatureInfo | None:
    """Phone (E.164), title, company, LinkedIn URL and postal address from the signature, or None
    when there is no signature block or nothing in it."""
    block = find_block(body_text, sender)
    if not block:
        return None
    linkedin = next((m for line in block if (m := LINKEDIN.search(line))), None)
    title, company = _title_and_company(block, sender)
    info = SignatureInfo(
        phone=_phone(block), title=title, company=company,
        linkedin_url=f"https://www.linkedin.com/in/{linkedin.group(1)}" if linkedin else None,
        address=_address(block), evidence="\n".join(block))
    if not any((info.phone, info.title, info.company, info.linkedin_url, info.address)):
        return None
    return info
