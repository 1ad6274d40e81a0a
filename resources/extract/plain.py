"""HTML (BeautifulSoup, without scripts and styles; tables as rows), CSV and plain text in
whatever encoding it came in."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from resources.extract.model import Page, clean, table_text

GUESS_FROM = 1024  # below this, charset detection guesses wrong more often than Windows-1252


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
    tables = [[[cell.get_text(" ", strip=True) for cell in row.find_all(["td", "th"])]
               for row in table.find_all("tr")] for table in soup.find_all("table")]
    return [Page(1, clean(soup.get_text("\n")), tables, "html")]


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
