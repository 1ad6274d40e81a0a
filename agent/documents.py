"""Documents library rules: what category a file is (with the reason), how text is cut into
overlapping chunks for search, how a query becomes search terms, and how the keyword and vector
rankings are merged."""

from __future__ import annotations

import re
from dataclasses import dataclass

CATEGORIES = ("contract", "invoice", "sop", "bid_template", "email_attachment",
              "appraisal_report", "client_document", "internal", "other")
STATUSES = ("pending", "processing", "completed", "failed", "skipped")

# First match wins: the most specific words come first ("appraisal report" before "report").
# Words are compared with punctuation as spaces ("fee-schedule.pdf" says "fee schedule").
# Fee schedules and FAQs are the tenant's own operating rules, so they file with the SOPs.
CATEGORY_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("invoice", ("invoice", "bill to", "amount due", "total due", "remittance")),
    ("appraisal_report", ("appraisal report", "uniform residential appraisal",
                          "opinion of market value")),
    ("bid_template", ("bid template", "proposal template", "request for bid",
                      "rfp", "bid form")),
    ("sop", ("standard operating procedure", "sop", "procedure", "faq",
             "frequently asked", "fee schedule", "checklist", "policy",
             "handbook", "playbook")),
    ("contract", ("contract", "agreement", "engagement letter",
                  "terms and conditions", "statement of work")),
    ("internal", ("internal", "memo", "confidential - internal", "minutes")),
)
TEXT_HEAD = 2000  # category words are looked for in the file name and the text's opening


@dataclass(frozen=True)
class Category:
    name: str
    reason: str


def _words(text: str) -> str:
    return " " + re.sub(r"[^a-z0-9]+", " ", text.lower()) + " "


def infer_category(filename: str, text: str, source: str, linked_to_client: bool) -> Category:
    """The category a file most likely is, and why: words in its name outrank words in its
    text; with neither, where it came from decides (an attachment from a client, a document
    on an order)."""
    name, head = _words(filename), _words(text[:TEXT_HEAD])
    for where, haystack in (("file name", name), ("text", head)):
        for category, words in CATEGORY_WORDS:
            for word in words:
                if _words(word) in haystack:
                    return Category(category, f"{where} says {word!r}")
    if source == "attachment":
        return Category("email_attachment", "a mail attachment with no category words")
    if linked_to_client:
        return Category("client_document", f"a {source} linked to a client's order or account")
    return Category("other", "no category words in the file name or text")


@dataclass(frozen=True)
class Chunk:
    page: int
    start: int  # offset of the chunk in its page's text
    body: str


CHUNK_CHARS = 900
OVERLAP_CHARS = 150


def chunk_page(page: int, text: str, size: int = CHUNK_CHARS,
               overlap: int = OVERLAP_CHARS) -> list[Chunk]:
    """Cut a page into chunks of about `size` characters that overlap by about `overlap`, so
    a sentence on a boundary is whole in one of them; cuts fall on whitespace where there is
    some near the limit. Offsets point into the page text for citations."""
    chunks: list[Chunk] = []
    start, length = 0, len(text)
    while start < length:
        while start < length and text[start].isspace():
            start += 1
        if start >= length:
            break
        end = min(start + size, length)
        if end < length:
            cut = text.rfind(" ", start + size // 2, end)
            cut = max(cut, text.rfind("\n", start + size // 2, end))
            end = cut if cut > start else end
        body = text[start:end].strip()
        if body:
            chunks.append(Chunk(page, start, body))
        if end >= length:
            break
        next_start = max(end - overlap, start + 1)
        space = text.find(" ", next_start, end)
        start = space + 1 if space != -1 else next_start
    return chunks


STOP_WORDS = frozenset(
    "a an and are as at be but by can do does for from has have how i if in is it its me my "
    "of on or our please so that the their them there this to us was we what when where which "
    "who why will with you your".split()
)
TERM = re.compile(r"[^\W_]+(?:['.-][^\W_]+)*", re.UNICODE)
MAX_TERMS = 12


def query_terms(query: str) -> list[str]:
    """The words of a query worth matching, in order, without stop words or repeats; a query
    of only stop words keeps them (so "what is it" still searches)."""
    words = [w.lower() for w in TERM.findall(query)]
    kept = [w for w in words if w not in STOP_WORDS] or words
    return list(dict.fromkeys(kept))[:MAX_TERMS]


RRF_K = 60  # reciprocal rank fusion: the usual constant; ranks matter, not score scales


def fuse(*rankings: list[int]) -> list[int]:
    """Merge rankings of chunk ids by reciprocal rank fusion: a chunk high in either list comes
    first, one high in both before it."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, chunk_id in enumerate(ranking):
            scores[chunk_id] = scores.get(chunk_id, 0.0) + 1.0 / (RRF_K + rank + 1)
    return sorted(scores, key=lambda c: (-scores[c], c))


SNIPPET_CHARS = 240


def snippet(body: str, terms: list[str], width: int = SNIPPET_CHARS) -> tuple[int, str]:
    """The part of a chunk around the first query term it contains, and that part's offset in
    the chunk, trimmed to whole words."""
    low = body.lower()
    hits = [i for i in (low.find(t) for t in terms) if i >= 0]
    centre = min(hits) if hits else 0
    start = max(0, centre - width // 3)
    if start:
        space = body.find(" ", start)
        start = space + 1 if 0 <= space < centre else start
    end = min(len(body), start + width)
    if end < len(body):
        space = body.rfind(" ", start, end)
        end = space if space > start else end
    return start, " ".join(body[start:end].split())
