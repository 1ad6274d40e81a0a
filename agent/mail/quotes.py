"""Where a reply's own text ends and the message it quotes begins, in plain text and in HTML.

Whatever is quoted is someone else's text, very often ours: our outreach quoted back must not
count as the client's complaint, and our signature quoted under their reply must not become
their phone and title. Clients mark the quote in their own way and in the sender's language:
">" prefixes, an attribution line ("On ... wrote:", "Am ... schrieb ...:", "16.11.2026, 09:00,
"Name" <addr>:"), an Outlook header block (From:/Sent:/To:/Subject:, translated too), a
separator ("-----Original Message-----"), and in HTML an element (Gmail's gmail_quote, a
blockquote type=cite, Outlook's divRplyFwdMsg, Yahoo's yahoo_quoted, ...).

The rules are hand-written: the reply parsers on the package index (mail-parser-reply,
email-reply-parser) were measured on tests/mail/reply_corpus.py and missed about a third of it:
they read text only (no markup), know no Russian or Polish attribution (nor, for
mail-parser-reply, Gmail's Spanish, Dutch and Portuguese ones), no Yandex or mail.ru layout,
and drop or keep whole bottom-posted and inline answers.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from bs4 import Tag

WROTE = (r"(?:wrote|writes|schrieb|a [ée]crit|escribi[óo]|schreef|ha scritto|escreveu|"
         r"пишет|писал|написала?|написал\(а\)|napisała?|napisał\(a\)|pisze|skrev|kirjoitti|"
         r"napsal(?:\(a\)|a)?|έγραψε|yazdı|írta|a scris)")
# The name may follow the verb: "Am 16.11.2026 um 09:00 schrieb Bob Stone:".
ATTRIBUTION = re.compile(rf"\b{WROTE}(?!\w)(?:\s[^:]{{0,150}})?\s*:\s*$", re.IGNORECASE)
OPENER = re.compile(r"^\s*(?:on|am|le|el|op|il|em|den|w dniu|в|dne)\s", re.IGNORECASE)
# "16.11.2026, 09:00, "Name" <addr>:" (Yandex), "Понедельник, 16 ноября 2026, 9:00 +03:00 от
# Name <addr>:" (mail.ru): a date, a time and an address, then a colon.
DATED = re.compile(r"\b\d{1,2}:\d{2}\b.*@.*:\s*$|@.*\b\d{1,2}:\d{2}\b.*:\s*$")
EVIDENCE = re.compile(r"\d|@|<")  # an attribution names a date or an address
DASHED = re.compile(
    rf"^\s*-{{2,}}\s*(?:original message|forwarded message|ursprüngliche nachricht|"
    r"weitergeleitete nachricht|message d'origine|message transféré|mensaje original|"
    r"mensaje reenviado|oorspronkelijk bericht|doorgestuurd bericht|messaggio originale|"
    r"messaggio inoltrato|mensagem original|mensagem encaminhada|исходное сообщение|"
    r"пересылаемое сообщение|пересланное сообщение|wiadomość oryginalna|"
    r"originalmeddelande|vidarebefordrat meddelande|alkuperäinen viesti|původní zpráva|"
    rf".*\b{WROTE})\s*-{{2,}}\s*$", re.IGNORECASE)
FORWARDED = re.compile(
    r"^\s*(?:begin forwarded message|anfang der weitergeleiteten nachricht|"
    r"début du message réexpédié|inicio del mensaje reenviado|inizio messaggio inoltrato|"
    r"início da mensagem reencaminhada)\s*:\s*$", re.IGNORECASE)
FROM_LABEL = re.compile(
    r"^\s*\**(?:from|von|de|van|da|od|от|från|fra|lähettäjä|feladó)\s*:", re.IGNORECASE)
HEADER_LABEL = re.compile(
    r"^\s*\**(?:sent|date|to|cc|subject|gesendet|datum|an|betreff|envoyé|à|objet|enviado|"
    r"fecha|para|asunto|verzonden|aan|onderwerp|inviato|data|a|oggetto|enviada|assunto|"
    r"отправлено|дата|кому|копия|тема|wysłano|do|temat|skickat|till|ämne|sendt|til|emne)"
    r"\s*:", re.IGNORECASE)
ENDS_SENTENCE = (".", "!", "?", "…", ":")
SEPARATOR = re.compile(r"^\s*(?:-{3,}|_{3,}|={3,}|\*{3,})\s*$")  # "-----", "________"

# HTML elements that hold the quoted message: only the element (a reply may follow it).
QUOTE_CLASSES = frozenset({"gmail_quote", "gmail_attr", "moz-cite-prefix", "protonmail_quote",
                           "js-helper", "zmail_extra", "zmail_quote"})
# HTML elements from which on everything is quoted: Outlook puts the header first and the
# quoted message after it, as siblings.
REST_IDS = frozenset({"divrplyfwdmsg", "x_divrplyfwdmsg", "appendonsend", "stopspelling",
                      "mail-editor-reference-message-container"})
QUOTE_TAGS = frozenset({"div", "blockquote", "hr"})  # the only elements that mark quotes
SUBTREE, REST = "subtree", "rest"


def is_attribution(line: str, quote_follows: bool = True) -> bool:
    """"On Mon, ... Jane <jane@x> wrote:" in any of the common languages; a dated line naming
    an address counts only where a quote is known to follow (else it may be the writer's own)."""
    if len(line) > 400 or ":" not in line:
        return False
    if ATTRIBUTION.search(line):
        return quote_follows or EVIDENCE.search(line) is not None
    return quote_follows and DATED.search(line) is not None


def _header_block(lines: list[str], i: int) -> bool:
    """An Outlook header: "From:" and, within four lines, "Sent:"/"To:"/"Subject:"."""
    return FROM_LABEL.match(lines[i]) is not None and any(
        HEADER_LABEL.match(n) for n in lines[i + 1:i + 5])


def _next_text(lines: list[str], i: int) -> str:
    return next((lines[j] for j in range(i, len(lines)) if lines[j].strip()), "")


def _wraps(first: str, rest: list[str]) -> bool:
    """Whether `first` may begin an attribution that `rest` ends: "On Mon, ... Bob Stone <" and
    "bob@x.example> wrote:". A last line that is a whole attribution of its own starts there,
    unless `first` opens like one ("On", "Am", "Le", ...)."""
    if not rest or not rest[-1].strip() or any(not line.strip() for line in rest):
        return False
    if OPENER.match(first):
        return True
    return EVIDENCE.search(first) is not None and not first.endswith(ENDS_SENTENCE) and \
        not is_attribution(rest[-1].strip())


def _attribution_span(lines: list[str], i: int) -> tuple[int, bool]:
    """(lines the attribution at line i takes, whether a marked quote follows it), (0, _) when
    none starts there. Gmail wraps long attributions over two or three lines."""
    first = lines[i].strip()
    if ":" not in " ".join(lines[i:i + 3]):
        return 0, False
    for span in (1, 2, 3):
        if span > 1 and not _wraps(first, lines[i + 1:i + span]):
            break
        joined = " ".join(line.strip() for line in lines[i:i + span])
        after = _next_text(lines, i + span)
        follows = after.lstrip().startswith(">")
        if is_attribution(joined, follows or not after):
            return span, follows
        if joined.endswith(":"):
            break
    return 0, False


@lru_cache(maxsize=8)  # analysis asks twice per message: for its own words and the signature
def unquoted(text: str) -> str:
    """The text a sender wrote: quoted lines ("> ...") dropped, and everything from a quoted
    section on (a header block, an "Original Message" line, an attribution followed by an
    unmarked quote). An attribution over ">" lines is dropped alone: a bottom-posted or inline
    answer below it is the sender's."""
    lines = text.replace("\r\n", "\n").split("\n")
    # Every marker but the dashed line has a colon in it or in the next two lines (never in a
    # quoted one): most lines are passed over without a regex (a millisecond a long reply).
    colon = [":" in line and not line.lstrip().startswith(">") for line in lines] + [False] * 2
    kept: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.lstrip()
        if stripped.startswith(">"):
            i += 1
            continue
        if stripped.startswith("-") and DASHED.match(line) or colon[i] and FORWARDED.match(line):
            break
        if colon[i] and _header_block(lines, i):
            while kept and (not kept[-1].strip() or SEPARATOR.match(kept[-1])):
                kept.pop()  # the "________" Outlook draws above its header
            break
        span, follows = _attribution_span(lines, i) if any(colon[i:i + 3]) else (0, False)
        if span and not follows:
            break
        if not span:
            kept.append(line)
        i += span or 1
    return "\n".join(kept).strip()


def _classes(tag: Tag) -> list[str]:
    value = tag.get("class") or []
    return value if isinstance(value, list) else str(value).split()


def html_quote(tag: Tag, text_before: Callable[[], str]) -> str | None:
    """SUBTREE when the element holds a quoted message, REST when the quoted message starts at
    it and runs to the end, else None. `text_before` gives the text so far (asked only for a
    bare blockquote, which quotes a reply when an attribution line precedes it)."""
    if tag.name not in QUOTE_TAGS:
        return None
    classes = _classes(tag)
    if any(c in QUOTE_CLASSES or "yahoo_quoted" in c for c in classes):  # "ydp1a2yahoo_quoted"
        return SUBTREE
    if str(tag.get("id", "")).lower() in REST_IDS or "OutlookMessageHeader" in classes:
        return REST
    style = str(tag.get("style", "")).lower()
    if tag.name == "div":
        if "border-top" in style and FROM_LABEL.match(tag.get_text(" ", strip=True)[:40]):
            return REST  # Outlook 2007-2019, Outlook for Mac, Windows Mail
        return None
    if tag.name == "blockquote" and (
            str(tag.get("type", "")).lower() == "cite" or "border-left" in style
            or any(name.startswith("data-mailru") for name in tag.attrs)
            or is_attribution(last_line(text_before()))):
        return SUBTREE
    return None


def last_line(text: str) -> str:
    """The last line of `text` that is not blank."""
    return next((line for line in reversed(text.splitlines()) if line.strip()), "")
