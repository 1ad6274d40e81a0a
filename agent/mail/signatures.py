"""Contact details from the signature block at the end of a message (enrichment).

People put their direct line, title, company and LinkedIn under their name far more reliably
than anywhere else, so the signature is the cheapest enrichment source. Quoted text is removed
first (agent/mail/quotes.py; HTML mail comes with its quote already cut from the markup, as
ParsedMessage.own_text): the signature inside a quoted reply belongs to someone else (often us).
"""

from __future__ import annotations

import re

import phonenumbers

from agent.mail.model import Address, SignatureInfo
from agent.mail.quotes import SEPARATOR, unquoted

DELIMITER = re.compile(r"^\s*(?:--|—|–)\s*$")
SIGN_OFF = re.compile(
    r"^\s*(?:best|best regards|kind regards|warm regards|warmest regards|regards|many thanks|"
    r"thanks|thank you|thanks again|thx|cheers|sincerely|respectfully|all the best|warmly|"
    r"take care|talk soon|with thanks|yours truly|cordially|at your service|best wishes|"
    r"with best regards|with kind regards|yours sincerely|yours faithfully|sincerely yours|"
    r"thanks (?:and|&) regards|thanks in advance|have a (?:great|nice|good) day|greetings|"
    # de, fr, es, nl, it, pt, ru, pl, sv/da/no, cs
    r"mit freundlichen grüßen|mit freundlichen gruessen|freundliche grüße|viele grüße|"
    r"beste grüße|liebe grüße|herzliche grüße|schöne grüße|grüße|gruß|mfg|lg|vg|"
    r"cordialement|bien cordialement|très cordialement|bien à vous|salutations|"
    r"meilleures salutations|sincères salutations|bonne journée|merci|"
    r"saludos|saludos cordiales|un saludo|atentamente|cordialmente|un abrazo|gracias|"
    r"met vriendelijke groet(?:en)?|vriendelijke groet(?:en)?|hartelijke groet(?:en)?|"
    r"groeten|groet|cordiali saluti|distinti saluti|saluti|un saluto|grazie|"
    r"atenciosamente|cumprimentos|melhores cumprimentos|abraços|obrigad[oa]|att\.?|"
    r"с уважением|с наилучшими пожеланиями|всего доброго|спасибо|"
    r"pozdrawiam|z poważaniem|z wyrazami szacunku|med vänliga hälsningar|vänliga hälsningar|"
    r"hälsningar|mvh|med venlig hilsen|med vennlig hilsen|venlig hilsen|s pozdravem)"
    r"\s*[,.!-]?\s*$", re.IGNORECASE)
# A phone's or mail app's line under the text is no part of the signature ("via mobile" is no
# job title).
DEVICE = re.compile(
    r"^\s*(?:sent (?:from|via|using|with) .{1,60}|get outlook for .{1,40}|"
    r"von meinem .{1,40} gesendet|gesendet (?:von|mit) .{1,40}|"
    r"envoyé (?:de|depuis) .{1,40}|enviado (?:desde|do|de|con) .{1,40}|"
    r"verzonden (?:vanaf|met|via) .{1,40}|inviato da .{1,40}|отправлено (?:с|из) .{1,40}|"
    r"wysłane z .{1,40}|skickat från .{1,40})$", re.IGNORECASE)
TITLE_WORDS = re.compile(
    r"\b(?:manager|director|owner|officer|coordinator|vp|svp|evp|president|appraiser|inspector|"
    r"loan|processor|underwriter|realtor|agent|broker|partner|principal|founder|ceo|cfo|coo|"
    r"cto|head|lead|specialist|analyst|assistant|associate|consultant|administrator|supervisor|"
    r"executive|representative|closer|originator|reviewer|paralegal|attorney|counsel|engineer|"
    r"secretary|treasurer|chair|controller|accountant|"
    r"geschäftsführer(?:in)?|leiter(?:in)?|inhaber(?:in)?|vertrieb|sachbearbeiter(?:in)?|"
    r"directeur|directrice|responsable|gérant(?:e)?|chargée?|gerente|director[a]?|jefe|jefa|"
    r"direttore|direttrice|responsabile|diretor[a]?|makelaar|fastighetsmäklare|kierownik|"
    r"директор|менеджер|руководитель|специалист|начальник|бухгалтер|инженер)\b",
    re.IGNORECASE)
COMPANY_WORDS = re.compile(
    r"\b(?:inc|llc|llp|ltd|corp|corporation|co|company|group|bank|bancorp|mortgage|realty|"
    r"appraisals?|appraisers|inspections?|lending|lenders?|financial|credit union|title|escrow|"
    r"partners|associates|valuations?|services|capital|home loans|properties|real estate|"
    r"homes|amc|management|holdings|agency|insurance|trust|savings|federal)\b\.?"
    r"|&\s*(?:partners?|co|cie|sons|söhne)\b", re.IGNORECASE)
STRONG_COMPANY = re.compile(
    r"\b(?:inc|llc|llp|ltd|corp|corporation|co|company|group|bank|bancorp|credit union|realty|"
    r"holdings|amc)\b\.?|&", re.IGNORECASE)
# Legal forms abroad, as written (case matters: "AG", "SA" and "AB" are words in lower case).
LEGAL_FORM = re.compile(
    r"(?<!\w)(?:GmbH|AG|KG|OHG|UG|SARL|SAS|SA|S\.A\.|S\.L\.|SL|S\.r\.l\.|Srl|S\.p\.A\.|"
    r"SpA|B\.V\.|BV|N\.V\.|NV|Ltda\.?|ООО|ОАО|ЗАО|ПАО|АО|ИП|Oy|AB|AS|A/S|ApS|"
    r"Sp\. z o\.o\.|PLC|Pty|Pte)(?!\w)")
LINKEDIN = re.compile(r"(?:https?://)?(?:[a-z]{2,3}\.)?linkedin\.com/in/([A-Za-z0-9_%-]+)",
                      re.IGNORECASE)
SUFFIX = (r"(?:st|street|ave|avenue|rd|road|blvd|boulevard|dr|drive|ln|lane|way|ct|court|pl|"
          r"place|pkwy|parkway|hwy|highway|cir|circle|ter|terrace|trl|trail|sq|square|loop|"
          r"plaza|pike|row|run|motorway|crossing|xing)")
STREET = re.compile(
    rf"\b\d{{1,6}}(?:\s+[NSEW]\.?)?(?:\s+[A-Za-z0-9.'-]+){{1,4}}?\s+{SUFFIX}\b\.?"
    r"(?:,?\s+(?:suite|ste\.?|unit|apt\.?|#)\s*[\w-]+)?"
    r"(?:,?\s+[A-Za-z][A-Za-z .'-]+,\s*[A-Z]{2}\.?\s+\d{5}(?:-\d{4})?)?", re.IGNORECASE)
# European streets: "Friedrichstraße 123, 10117 Berlin", "12 rue de la Paix, 75002 Paris",
# "Calle Mayor 10, 28013 Madrid".
EU_STREET = re.compile(
    r"(?:\b[A-ZÄÖÜ][\wäöüß.-]*(?:straße|strasse|str\.|weg|gasse|platz|allee|ring|damm|"
    r"straat|laan|gracht|plein|vägen|gatan)\s+\d{1,4}\s?[a-z]?"
    r"|\b\d{1,4}(?:\s?(?:bis|ter))?,?\s+(?i:rue|avenue|boulevard|bd|place|chemin|allée|quai|"
    r"impasse|route)\s+[^,\n\d]{2,40}"
    r"|\b(?i:calle|avenida|avda\.|plaza|paseo|via|viale|piazza|corso|rua|praça)\s+"
    r"[^,\n\d]{2,40}\s\d{1,4}[a-z]?)"
    r"(?:,\s*(?:[A-Z]{1,2}-)?\d{4,5}(?:-\d{3})?\s+[A-ZÄÖÜÉ][\w' -]+)?")
CITY_LINE = re.compile(r"^[A-Za-z][A-Za-z .'-]+,\s*[A-Z]{2}\.?\s+\d{5}(?:-\d{4})?$")
NOISE = re.compile(r"@|https?://|www\.|\d{3}")
FAX = re.compile(r"\bfax\b|^\s*f\s*[:.]", re.IGNORECASE)
CONTACT = re.compile(r"\d{3}|linkedin\.com/", re.IGNORECASE)
NAME_PARTICLES = frozenset({"de", "van", "der", "den", "von", "zu", "da", "di", "dos", "das",
                            "do", "du", "del", "della", "la", "le", "y", "e", "bin", "al"})
MAX_BLOCK_LINES = 10


def own_words(text: str) -> str:
    """The sender's words: quoted text removed and everything from the last "-- " line cut off,
    so evidence and classification never come from a signature."""
    lines = unquoted(text).split("\n")
    cut = max((i for i, line in enumerate(lines) if DELIMITER.match(line)), default=len(lines))
    return "\n".join(lines[:cut]).strip()


def _trailing(lines: list[str]) -> list[str]:
    """The block's lines, without blanks and a leading sign-off ("-- / С уважением, / Name")."""
    block = [line.strip() for line in lines if line.strip()]
    if block and SIGN_OFF.match(block[0]):
        block = block[1:]
    return block[:MAX_BLOCK_LINES]


def _is_company(text: str) -> bool:
    return COMPANY_WORDS.search(text) is not None or LEGAL_FORM.search(text) is not None


def _is_strong_company(text: str) -> bool:
    return STRONG_COMPANY.search(text) is not None or LEGAL_FORM.search(text) is not None


def _is_street(text: str) -> bool:
    return STREET.search(text) is not None or EU_STREET.search(text) is not None


def _name_led(lines: list[str], sender: Address | None) -> list[str]:
    """The last lines from the sender's name on, or from the last line that looks like a name
    and has a phone, title, company or LinkedIn line under it. Blank lines are no guide: HTML
    mail puts one between any two blocks."""
    rows = [line.strip() for line in lines if line.strip()][-MAX_BLOCK_LINES:]
    name = (sender.name or "").strip().lower() if sender else ""
    starts = [i for i, row in enumerate(rows) if name and row.lower() == name] or [
        i for i in range(len(rows) - 2, -1, -1) if _looks_like_name(rows[i], sender) and any(
            CONTACT.search(row) or TITLE_WORDS.search(row) or _is_company(row)
            for row in rows[i + 1:])]
    for i in starts:
        block = rows[i:]
        if len(block) > 1 and all(len(line) <= 80 for line in block):
            return block
    return []


def find_block(text: str, sender: Address | None) -> list[str]:
    """The signature's lines: after the last "-- " delimiter or a dashed line with only short
    lines under it, else after the last sign-off when all that follows is short lines, else a
    last paragraph that starts with the sender's name (or a name with contact lines under it).
    Phone and mail-app footers ("Sent from my iPhone") are never part of it."""
    lines = [line for line in unquoted(text).split("\n") if not DEVICE.match(line)]
    for i in range(len(lines) - 1, -1, -1):
        if DELIMITER.match(lines[i]):  # long lines under a signature are legal disclaimers
            return _trailing([line for line in lines[i + 1:] if len(line) <= 100])
        if SEPARATOR.match(lines[i]):
            block = _trailing(lines[i + 1:])
            if block and len(block) < MAX_BLOCK_LINES and all(len(x) <= 80 for x in block):
                return block
    for i in range(len(lines) - 1, -1, -1):
        if SIGN_OFF.match(lines[i]):
            block = _trailing(lines[i + 1:])
            return block if all(len(line) <= 80 for line in block) else []
    return _name_led(lines, sender)


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
    return 2 <= len(words) <= 4 and words[0][:1].isupper() and all(
        (w[:1].isupper() or w in NAME_PARTICLES) and re.sub(r"[.'-]", "", w).isalpha()
        for w in words) and not (TITLE_WORDS.search(line) or _is_company(line))


def _classify_piece(piece: str) -> tuple[str | None, str | None]:
    """(title, company) in one piece of a line. "Owner, Smith Appraisal LLC" holds both; in
    "VP, Sales" the comma is part of the title; "Escrow Officer" is a title despite 'escrow'."""
    subs = [s.strip() for s in piece.split(",") if s.strip()]
    companies = [s for s in subs if _is_company(s) and (
        _is_strong_company(s) or not TITLE_WORDS.search(s))]
    if len(subs) > 1 and companies:
        rest = ", ".join(s for s in subs if s not in companies)
        return (rest if TITLE_WORDS.search(rest) else None), companies[0]
    if TITLE_WORDS.search(piece) and not _is_strong_company(piece):
        return piece, None
    return None, (piece if _is_company(piece) else None)


def _title_and_company(block: list[str], sender: Address | None
                       ) -> tuple[str | None, str | None]:
    title = company = None
    plain = [line for line in block if not NOISE.search(line) and not _is_street(line)]
    for line in block:
        pieces = [p for p in _pieces(line) if not NOISE.search(p) and not _is_street(p)]
        for piece in pieces:
            found_title, found_company = _classify_piece(piece)
            title = title or found_title
            company = company or found_company
        if company is None and title in pieces and len(pieces) == 2:  # "Title | Company"
            company = pieces[1 - pieces.index(title)]
    if title is None and len(plain) > 1 and _looks_like_name(plain[0], sender):
        candidate = plain[1]
        if candidate != company and len(candidate) <= 60 and not _is_company(candidate):
            title = candidate
    return title, company


def _address(block: list[str]) -> str | None:
    for i, line in enumerate(block):
        if match := STREET.search(line) or EU_STREET.search(line):
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
