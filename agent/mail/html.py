"""HTML mail to text, with the quoted message told apart while the tree is at hand.

Once HTML is flattened, a quote is only text that looks like the reply above it: mail.ru,
Yandex, Outlook and Windows Mail mark it in the markup and nowhere else. So the one walk that
makes the text also notes where the quote is (agent/mail/quotes.py says which elements are
quotes), and the page is parsed once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bs4 import BeautifulSoup, CData, NavigableString, PageElement, Tag

from agent.mail.quotes import QUOTE_TAGS, REST, SUBTREE, html_quote, is_attribution, last_line

SKIPPED_TAGS = frozenset({"script", "style", "head", "title", "template", "noscript"})
BLOCK_TAGS = frozenset({"p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul",
                        "ol", "blockquote", "pre", "section", "article", "header", "footer", "hr"})
# Where quotes start and end in the walk's output: private-use characters, never kept.
OPEN, CLOSE, CUT = "\ue000", "\ue001", "\ue002"
MARKS = str.maketrans("", "", OPEN + CLOSE + CUT)
TAIL_PARTS = 40  # enough of the text so far to hold the line above a blockquote


@dataclass(frozen=True)
class HtmlText:
    text: str  # the whole page as text
    own: str | None  # the text without the quoted message; None when the markup marks none


def _tidy(text: str) -> str:
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _without_attribution(text: str) -> str:
    """`text` less its last line when that line introduces the quote that follows it."""
    line = last_line(text)
    if line and is_attribution(" ".join(line.split())):
        return text[:text.rstrip().rfind(line)]
    return text


def _own(marked: str) -> str:
    head = marked.partition(CUT)[0]
    pieces = head.split(OPEN)
    own = [pieces[0]]
    for piece in pieces[1:]:  # each is "quoted CLOSE text after the quote"
        own[-1] = _without_attribution(own[-1])
        own.append(piece.partition(CLOSE)[2])
    if CUT in marked:
        own[-1] = _without_attribution(own[-1])
    return _tidy("".join(own))


def html_text(html: str) -> HtmlText:
    """Readable text from HTML: no script/style, a line break around block elements and at <br>;
    and the same text without the quoted message. Walks the tree with an explicit stack: linear
    in the size of the page and safe for any depth (editing the tree in place is quadratic on
    long pages, recursion fails on deep ones)."""
    marking = not any(mark in html for mark in (OPEN, CLOSE, CUT))
    parts: list[str] = []
    stack: list[PageElement | str | None] = [BeautifulSoup(html, "html.parser")]
    quoted = cut = False
    while stack:
        node = stack.pop()
        if node is None:  # the end of a block element
            parts.append("\n")
        elif type(node) is str:  # the end of a quote
            parts.append(node)
            quoted = False
        elif isinstance(node, Tag):
            if node.name == "br":
                parts.append("\n")
            elif node.name not in SKIPPED_TAGS:
                if node.name in BLOCK_TAGS:
                    parts.append("\n")
                    stack.append(None)
                kind = html_quote(node, lambda: "".join(parts[-TAIL_PARTS:])) if marking and \
                    node.name in QUOTE_TAGS and not (quoted or cut) else None
                if kind == REST:
                    parts.append(CUT)
                    cut = True
                elif kind == SUBTREE:
                    parts.append(OPEN)
                    stack.append(CLOSE)
                    quoted = True
                stack.extend(reversed(node.contents))
        elif type(node) in (NavigableString, CData):
            parts.append(str(node))
    marked = "".join(parts)
    if not marking or not cut and OPEN not in marked:
        return HtmlText(_tidy(marked), None)
    return HtmlText(_tidy(marked.translate(MARKS)), _own(marked))


def html_to_text(html: str) -> str:
    """The page as text (see `html_text`)."""
    return html_text(html).text
