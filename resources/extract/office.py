"""DOCX (python-docx: paragraphs and tables in body order, headers and footers) and XLSX
(openpyxl, read-only: a sheet per page). Both are zip containers, so their entries are sized
before anything is unpacked: a file that expands past the limit is refused as a bomb."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

from resources.extract.model import Limits, Page, Refused, clean, table_text

if TYPE_CHECKING:  # python-docx and openpyxl load only in a process that reads their files
    from docx.document import Document as DocxDocument
    from docx.oxml.xmlchemy import BaseOxmlElement
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

RATIO_FLOOR = 2**20  # entries smaller than this unpacked are not judged by their ratio
MAX_CELLS = 200_000
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
W_P, W_TBL, W_TR, W_TC, W_SDT, W_SDT_CONTENT = (
    f"{W}{tag}" for tag in ("p", "tbl", "tr", "tc", "sdt", "sdtContent"))


def check_container(path: Path, limits: Limits, kind: str) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except zipfile.BadZipFile:
        raise Refused(f"damaged: the file is cut short or not a complete {kind}") from None
    total = sum(e.file_size for e in entries)
    if total > limits.max_unpacked_bytes:
        raise Refused(f"decompression bomb: expands to {total // 2**20} MB "
                      f"(limit {limits.max_unpacked_bytes // 2**20} MB)")
    for entry in entries:
        if entry.file_size > RATIO_FLOOR and entry.file_size > limits.max_ratio * max(
                entry.compress_size, 1):
            raise Refused(f"decompression bomb: {entry.filename} expands "
                          f"{entry.file_size // max(entry.compress_size, 1)}x")


def _blocks(element: BaseOxmlElement, parent: object, tables: list[list[list[str]]]) -> list[str]:
    """The text of the paragraphs and tables directly under a body, table cell, header or
    footer, in document order. Tables are added to `tables` (an outer table before the tables
    in its cells) and come back as lines of tab-joined cells. Content controls (w:sdt, which
    hold a table of contents or a template's fields) are read through: `Document.paragraphs`
    skips both them and tables."""
    from docx.text.paragraph import Paragraph

    parts: list[str] = []
    for child in element.iterchildren():
        if child.tag == W_P:
            parts.append(Paragraph(child, parent).text)
        elif child.tag == W_TBL:
            index = len(tables)
            tables.append([])
            tables[index] = rows = _rows(child, parent, tables)
            parts.append(table_text([[cell.replace("\n", " ") for cell in row] for row in rows]))
        elif child.tag == W_SDT and (content := child.find(W_SDT_CONTENT)) is not None:
            parts += _blocks(content, parent, tables)
    return parts


def _rows(table: BaseOxmlElement, parent: object, tables: list[list[list[str]]]) -> list[list[str]]:
    """A table's rows, one string per w:tc: a merged cell once (python-docx's `row.cells`
    repeats it for each grid column it spans), a cell's own tables inside its text."""
    return [["\n".join(_blocks(cell, parent, tables)).strip() for cell in row.iterchildren(W_TC)]
            for row in table.iterchildren(W_TR)]


def _margins(document: DocxDocument, tables: list[list[list[str]]]) -> tuple[list[str], list[str]]:
    """The sections' headers and footers, each distinct text once (every section repeats its
    letterhead). A header linked to the previous section's has no content of its own."""
    seen: set[str] = set()
    found: tuple[list[str], list[str]] = ([], [])
    for section in document.sections:
        for side, parts in zip(("header", "footer"), found, strict=True):
            for kind in ("", "first_page_", "even_page_"):
                margin = getattr(section, f"{kind}{side}")
                if margin.is_linked_to_previous:
                    continue
                text = "\n".join(_blocks(margin._element, margin, tables)).strip()
                if text and text not in seen:
                    seen.add(text)
                    parts.append(text)
    return found


def extract_docx(path: Path, limits: Limits) -> list[Page]:
    import docx

    check_container(path, limits, "DOCX")
    try:
        document = docx.Document(str(path))
    except (KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise Refused(f"damaged: not a complete DOCX ({type(exc).__name__})") from None
    except Exception as exc:  # python-docx raises PackageNotFoundError for a broken package
        raise Refused(f"damaged: not a readable DOCX ({type(exc).__name__})") from None
    tables: list[list[list[str]]] = []
    headers, footers = _margins(document, tables)
    body = _blocks(document.element.body, document, tables)
    return [Page(1, clean("\n".join(headers + body + footers)), tables, "python-docx")]


def extract_xlsx(path: Path, limits: Limits) -> list[Page]:
    import openpyxl

    check_container(path, limits, "XLSX")
    with path.open("rb") as handle:  # a file, not its name: openpyxl refuses a misnamed one
        try:
            book = openpyxl.load_workbook(handle, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a broken workbook
            raise Refused(f"damaged: not a readable XLSX ({type(exc).__name__})") from None
        pages: list[Page] = []
        left = MAX_CELLS  # for the workbook: a thousand sheets get no thousand budgets
        try:
            for number, sheet in enumerate(book.worksheets, start=1):
                if left <= 0:
                    break
                pages.append(_sheet_page(number, sheet, left))
                left -= sum(len(row) for row in pages[-1].tables[0])
        finally:
            book.close()
    return pages


def _sheet_page(number: int, sheet: ReadOnlyWorksheet, max_cells: int) -> Page:
    """A sheet as a page: its title, then its non-empty rows (trailing empty cells dropped),
    until max_cells cells."""
    # the size a sheet declares can be wrong (A1:XFD1048576 from some exporters), and
    # read-only rows are padded to it: read the cells the sheet holds instead
    sheet.reset_dimensions()
    rows: list[list[str]] = []
    cells = 0
    for row in sheet.iter_rows(values_only=True):
        values = ["" if v is None else str(v) for v in row]
        while values and not values[-1]:
            values.pop()
        if values:
            rows.append(values)
            cells += len(values)
        if cells >= max_cells:
            break
    return Page(number, clean(f"{sheet.title}\n{table_text(rows)}"), [rows], "openpyxl")
