"""Answers from documents: which inbound mail is a question the tenant's own documents may
answer, what to look up, whether a passage found really answers it, and the reply drafted from
it with its sources cited.

Only the tenant's operating documents answer a client (SOPs, FAQs and fee schedules all file as
`sop`, see agent/documents.py): a contract or an appraisal report is about one client and is
never quoted to another. A passage answers when it holds most of the question's words; a draft
quotes the passage's best sentences word for word, each marked with its source, so the person
approving it (or the client) can check every claim. Nothing here composes new facts.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

import snowballstemmer

from agent.documents import STOP_WORDS, TERM, query_terms
from agent.mail.signatures import own_words

ANSWERABLE = ("inquiry", "scheduling_request")
ANSWER_CATEGORIES = ("sop",)
# Words of a question that say it is one, not what it is about.
FILLER = frozenset(
    "hi hello hey dear thanks thank regards cheers question questions wondering wonder know "
    "let like would could should want wanted need needed just also get got any anyone someone "
    "tell ask asking much many long soon whether able".split()
)
QUESTION_CHARS = 600
MIN_COVERAGE = 0.5  # of the question's words a passage must hold
MIN_MATCHED = 2  # words, or all of them when the question has fewer
MAX_SOURCES = 2
MAX_SENTENCES = 2  # quoted from each source
SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])|\n+")
_local = threading.local()
ENDS = (".", "!", "?", ":", ";")
REPLY_PREFIX = re.compile(r"^\s*((re|aw|sv|fw|fwd)\s*:\s*)+", re.IGNORECASE)


@dataclass(frozen=True)
class Passage:
    chunk_id: int
    document_id: int
    filename: str
    page: int
    offset: int
    body: str


@dataclass(frozen=True)
class Citation:
    chunk_id: int
    document_id: int
    filename: str
    page: int
    offset: int
    quote: str

    def describe(self) -> str:
        return f"{self.filename}, page {self.page}"


@dataclass(frozen=True)
class Drafted:
    answer: str  # quotes, each with its [n] mark
    citations: tuple[Citation, ...]
    reason: str


@dataclass(frozen=True)
class Unanswered:
    reason: str


def question(subject: str | None, body: str | None) -> str:
    """What the client asks, in their own words (quoted text and signature removed): the
    sentences with a question mark, else the subject and the whole message. The subject of a
    real inquiry often names a property or a person, words no SOP holds, so it counts only
    when the message asks nothing outright."""
    words = own_words(body or "")
    sentences = [" ".join(s.split()) for s in SENTENCE.split(words) if s.strip()]
    asked = [s for s in sentences if "?" in s]
    if not asked:
        asked = [REPLY_PREFIX.sub("", subject or "").strip(), *sentences]
    return " ".join(s for s in asked if s)[:QUESTION_CHARS]


def stem(word: str) -> str:
    """A word's English stem (Porter2, the family FTS5's porter and PostgreSQL's english
    configuration use), so "inspections" finds "inspection" and "charged" finds "charge"."""
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:  # a stemmer keeps state between words: one per thread
        stemmer = _local.stemmer = snowballstemmer.stemmer("english")
    return stemmer.stemWord(word.lower())


def lookup_terms(asked: str) -> list[str]:
    """The question's words worth looking up: search terms less the words of asking, and
    contractions of either ("what's", "we're", "don't")."""
    return [t for t in query_terms(asked) if t not in FILLER and not t.endswith("n't")
            and t.split("'")[0] not in FILLER | STOP_WORDS]


def _stems(text: str) -> set[str]:
    """Stems of a text's words, hyphenated ones ("48-hour") both whole and in parts."""
    return {stem(w) for w in TERM.findall(text) + re.findall(r"[^\W_]+", text)}


def covered(terms: list[str], text: str) -> list[str]:
    have = _stems(text)
    return [t for t in terms if stem(t) in have]


def _relevant(terms: list[str], matched: list[str]) -> bool:
    return len(matched) >= min(MIN_MATCHED, len(terms)) and \
        len(matched) >= MIN_COVERAGE * len(terms)


def _is_heading(sentence: str) -> bool:
    """A title line: short, unpunctuated, no figures. A table row ("Desk review  $175") has
    figures or cells and is quoted: in a fee schedule it is the answer."""
    return (not sentence.endswith(ENDS) and len(sentence.split()) < 8
            and "\t" not in sentence and not any(c.isdigit() for c in sentence))


def _best_sentences(terms: list[str], body: str) -> str:
    """The sentence holding most of the question's words, then the one adding most of the
    words still missing, in their order (headings are not quoted); a sentence that is itself a
    question (an FAQ's) brings the one after it, its answer. A table row's cells are quoted
    with " | " between them."""
    raw = [s.strip() for s in SENTENCE.split(body) if s.strip()]
    sentences = [" ".join(s.replace("\t", " | ").split()) for s in raw]
    words = [set(covered(terms, s)) if not _is_heading(s) else set() for s in raw]
    chosen: set[int] = set()
    seen: set[str] = set()
    while len(chosen) < MAX_SENTENCES:
        gain, i = max(((len(w - seen), -i) for i, w in enumerate(words)), default=(0, 0))
        if not gain:
            break
        chosen.add(-i)
        seen |= words[-i]
    chosen |= {i + 1 for i in chosen if sentences[i].endswith("?") and i + 1 < len(sentences)}
    quote = ""
    for i in sorted(chosen):  # lines without an end mark (table rows) are kept apart by "; "
        quote += ("" if not quote else " " if quote.endswith(ENDS) else "; ") + sentences[i]
    return quote


def draft(asked: str, passages: list[Passage]) -> Drafted | Unanswered:
    """A reply quoting the passages that answer the question (best first, a second source only
    when it covers words the first does not), or why there is none."""
    terms = lookup_terms(asked)
    if not terms:
        return Unanswered("the message asks nothing that can be looked up in the documents")
    if not passages:
        return Unanswered("no SOP, FAQ or fee schedule passage matches " + _quoted(terms))
    scored = [(p, covered(terms, p.body)) for p in passages]
    best, matched = max(scored, key=lambda pm: len(pm[1]))
    if not _relevant(terms, matched):
        return Unanswered(
            f"no passage answers it: the closest ({best.filename}, page {best.page}) holds "
            f"{len(matched)} of the {len(terms)} words {_quoted(terms)}"
        )
    chosen, seen = [best], set(matched)
    for passage, words in scored:
        if len(chosen) < MAX_SOURCES and passage is not best and set(words) - seen and \
                _relevant(terms, words):
            chosen.append(passage)
            seen |= set(words)
    citations = tuple(
        Citation(p.chunk_id, p.document_id, p.filename, p.page, p.offset,
                 _best_sentences(terms, p.body))
        for p in chosen
    )
    answer = "\n\n".join(f'"{c.quote}" [{n}]' for n, c in enumerate(citations, 1))
    where = "; ".join(c.describe() for c in citations)
    return Drafted(answer, citations,
                   f"answered from {where}: {len(seen)} of the {len(terms)} words "
                   f"{_quoted(terms)}")


def reply_subject(subject: str | None) -> str:
    topic = REPLY_PREFIX.sub("", subject or "").strip()
    return topic or "your question"


def _quoted(terms: list[str]) -> str:
    return "(" + ", ".join(terms) + ")"
