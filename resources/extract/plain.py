"""HTML (BeautifulSoup, without scripts and styles; tables as rows), CSV and plain text in
whatever encoding it came in."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import TYPE_CHECKING

from resources.extract.model import Page, clean, table_text

if TYPE_CHECKING:
    from bs4 import BeautifulSoup

GUESS_FROM = 1024  # below this, charset detection guesses wrong more often than Windows-1252
LINE, CELL = "\ue000", "\ue001"  # private-use marks: survive whitespace folding, never in text
BLOCKS = ["address", "article", "aside", "blockquote", "caption", "dd", "div", "dl", "dt",
          "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
          "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table", "title", "tr", "ul"]


def decode(data: bytes) -> str:
    """UTF-8, else the detected charset for text long enough to tell, else Windows-1252 (what
    most non-UTF-8 office text is)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if len(data) >= GUESS_FROM:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
        if best is not None:
            return str(best)
    return data.decode("cp1252", errors="replace")


def extract_html(path: Path) -> list[Page]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(decode(path.read_bytes()), "html.parser")
    for tag in soup(["script", "style", "noscript", "template"]):
        tag.decompose()
    tables = [[[cell.get_text(" ", strip=True) for cell in row.find_all(["td", "th"])
                if cell.find_parent("tr") is row]
               for row in table.find_all("tr") if row.find_parent("table") is table]
              for table in soup.find_all("table")]  # a nested table's rows are its own
    return [Page(1, clean(_html_text(soup)), tables, "html")]


def _html_text(soup: BeautifulSoup) -> str:
    """The text as a browser lays it out: a line per block (paragraph, heading, list item, table
    row), cells tab-joined, inline markup kept in its line. `get_text("\\n")` would break a line
    at every <b> or <a>; the source's own line breaks are whitespace, except in <pre>."""
    for pre in soup.find_all("pre"):
        for piece in pre.find_all(string=True):
            piece.replace_with(piece.replace("\n", LINE))
    for br in soup.find_all("br"):
        br.replace_with(LINE)
    for block in soup.find_all(BLOCKS):
        block.insert_before(LINE)
        block.insert_after(LINE)
    for cell in soup.find_all(["td", "th"]):
        cell.insert_after(CELL)
    text = re.sub(f" ?([{LINE}{CELL}]) ?", r"\1", " ".join(soup.get_text().split()))
    return re.sub(f"[{LINE}{CELL}]*{LINE}[{LINE}{CELL}]*", "\n", text).replace(CELL, "\t")


def extract_csv(path: Path) -> list[Page]:
    text = decode(path.read_bytes())
    try:
        dialect = csv.Sniffer().sniff(text[:4096])
    except csv.Error:
        dialect = csv.excel
    rows = [row for row in csv.reader(io.StringIO(text), dialect) if any(row)]
    return [Page(1, clean(table_text(rows)), [rows], "csv")]


def extract_text(path: Path) -> list[Page]:
    return [Page(1, clean(decode(path.read_bytes())), [], "text")]
