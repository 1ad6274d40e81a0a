"""DOCX (python-docx: paragraphs and tables in body order, headers and footers) and XLSX
(openpyxl, read-only: a sheet per page). Both are zip containers, so their entries are sized
before anything is unpacked: a file that expands past the limit is refused as a bomb."""

from __future__ import annotations

import zipfile
from pathlib import Path

from resources.extract.model import Limits, Page, Refused, clean, table_text

RATIO_FLOOR = 2**20  # entries smaller than this unpacked are not judged by their ratio
MAX_CELLS = 200_000


def check_container(path: Path, limits: Limits, kind: str) -> None:
    try:
        entries = zipfile.ZipFile(path).infolist()
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


def _rows(table) -> list[list[str]]:  # noqa: ANN001 - python-docx Table
    return [[cell.text.strip() for cell in row.cells] for row in table.rows]


def extract_docx(path: Path, limits: Limits) -> list[Page]:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    check_container(path, limits, "DOCX")
    try:
        document = docx.Document(str(path))
    except (KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise Refused(f"damaged: not a complete DOCX ({type(exc).__name__})") from None
    except Exception as exc:  # python-docx raises PackageNotFoundError for a broken package
        raise Refused(f"damaged: not a readable DOCX ({type(exc).__name__})") from None
    parts: list[str] = []
    tables: list[list[list[str]]] = []
    seen: set[str] = set()
    for section in document.sections:
        for part in (section.header, section.footer):
            text = "\n".join(p.text for p in part.paragraphs).strip()
            if text and text not in seen:
                seen.add(text)
                parts.append(text)
    for child in document.element.body.iterchildren():
        if child.tag.endswith("}p"):
            parts.append(Paragraph(child, document).text)
        elif child.tag.endswith("}tbl"):
            rows = _rows(Table(child, document))
            tables.append(rows)
            parts.append(table_text(rows))
    return [Page(1, clean("\n".join(parts)), tables, "python-docx")]


def extract_xlsx(path: Path, limits: Limits) -> list[Page]:
    import openpyxl

    check_container(path, limits, "XLSX")
    try:
        book = openpyxl.load_workbook(str(path), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken workbook
        raise Refused(f"damaged: not a readable XLSX ({type(exc).__name__})") from None
    pages, cells = [], 0
    try:
        for number, sheet in enumerate(book.worksheets, start=1):
            rows = []
            for row in sheet.iter_rows(values_only=True):
                values = ["" if v is None else str(v) for v in row]
                if any(values):
                    rows.append(values)
                    cells += len(values)
                if cells > MAX_CELLS:
                    break
            pages.append(Page(number, clean(f"{sheet.title}\n{table_text(rows)}"), [rows],
                              "openpyxl"))
    finally:
        book.close()
    return pages
