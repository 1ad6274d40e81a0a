"""PDF text: PDFium (pypdfium2) for every page, pdfplumber only for a page that looks like it
holds a table (a grid of ruling lines) or whose PDFium text is much thinner than its text
objects promise (CJK text PDFium drops). A document with no text on any page but images is
scanned: it needs OCR, which Steward does not do."""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from resources.extract.model import Limits, Page, Refused, clean

GRID_LINES = 3  # distinct horizontal and as many vertical rules: a grid of 2 x 2 cells or more
RULE_THICKNESS = 3.0  # points: a path this thin (and at least RULE_LENGTH long) is a rule
RULE_LENGTH = 10.0
GRID_SUBPATHS = 4  # straight-line subpaths in one path object: a grid stroked at once
SAME_LINE = 2.0  # points: rules this close are one line of the grid (cell borders drawn twice)
THIN_SHARE = 0.3  # PDFium text under this share of the text objects' count: ask pdfplumber
# PDFium marks a hyphen that split a word at a line end (and drops the line break): removing the
# mark joins the word again ("man-/agement" reads "man\x02agement"; "management" is searchable)
HYPHEN_MARKS = str.maketrans("", "", "\x02\ufffe")


def _refusal(message: str) -> Refused:
    low = message.lower()
    if "password" in low or "encrypt" in low:
        return Refused("encrypted: needs a password")
    return Refused(f"damaged: {message.strip().splitlines()[0][:160] if message else 'unreadable'}")


def extract_pdf(path: Path, limits: Limits) -> tuple[list[Page], bool]:
    """(pages, needs_ocr)."""
    try:
        document = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        raise _refusal(str(exc)) from None
    pages: list[Page] = []
    want_plumber: list[int] = []
    images = 0
    try:
        for index in range(min(len(document), limits.max_pages)):
            page = document[index]
            text = clean(page.get_textpage().get_text_bounded().translate(HYPHEN_MARKS))
            objects = list(page.get_objects())  # into form XObjects, where some put a page
            kinds = [obj.type for obj in objects]
            texts = kinds.count(pdfium_c.FPDF_PAGEOBJ_TEXT)
            images += kinds.count(pdfium_c.FPDF_PAGEOBJ_IMAGE)
            pages.append(Page(index + 1, text, [], "pypdfium2"))
            paths = [obj for obj in objects if obj.type == pdfium_c.FPDF_PAGEOBJ_PATH]
            if (texts and len(text) < THIN_SHARE * texts) or _ruled_grid(paths):
                want_plumber.append(index)
    finally:
        document.close()
    if want_plumber:
        _with_pdfplumber(path, pages, want_plumber)
    needs_ocr = bool(pages) and not any(p.text for p in pages) and images > 0
    return pages, needs_ocr


def _ruled_grid(paths: list[pdfium.PdfObject]) -> bool:
    """Whether a page's paths draw a grid, the cheap sign of a bordered table. Counting paths
    alone sends every page with underlines, a framed code listing or a rule under the heading
    to pdfplumber (half the pages of a typical manual, 30x the time) for no table."""
    rows: list[float] = []
    columns: list[float] = []
    for path in paths:
        left, bottom, right, top = path.get_bounds()
        wide, tall = right - left >= RULE_LENGTH, top - bottom >= RULE_LENGTH
        if wide and tall:  # a rectangle (a cell drawn as a box): its four sides
            if _line_subpaths(path) >= GRID_SUBPATHS:
                return True
            rows += (bottom, top)
            columns += (left, right)
        elif wide and top - bottom <= RULE_THICKNESS:
            rows.append((bottom + top) / 2)
        elif tall and right - left <= RULE_THICKNESS:
            columns.append((left + right) / 2)
    return _distinct(rows) >= GRID_LINES and _distinct(columns) >= GRID_LINES


def _line_subpaths(path: pdfium.PdfObject) -> int:
    """The subpaths of one path object if all its segments are straight (0 if any is a curve).
    Some generators (fpdf2's drawing API among them) stroke a whole grid as one path, whose
    bounds alone look like one rectangle."""
    count = pdfium_c.FPDFPath_CountSegments(path.raw)
    if count <= 5:  # a rectangle or a line
        return 0
    moves = 0
    for index in range(count):
        kind = pdfium_c.FPDFPathSegment_GetType(pdfium_c.FPDFPath_GetPathSegment(path.raw, index))
        if kind == pdfium_c.FPDF_SEGMENT_BEZIERTO:
            return 0
        moves += kind == pdfium_c.FPDF_SEGMENT_MOVETO
    return moves


def _distinct(positions: list[float]) -> int:
    """How many lines the positions make, taking those within SAME_LINE of the last as one."""
    count, last = 0, None
    for position in sorted(positions):
        if last is None or position - last > SAME_LINE:
            count += 1
        last = position
    return count


def _with_pdfplumber(path: Path, pages: list[Page], indexes: list[int]) -> None:
    import pdfplumber  # loaded only for the pages that need it

    try:
        with pdfplumber.open(path) as pdf:
            for index in indexes:
                plumbed = pdf.pages[index]
                tables = [[[cell or "" for cell in row] for row in table]
                          for table in plumbed.extract_tables()]
                page = pages[index]
                text = clean((plumbed.extract_text() or "").translate(HYPHEN_MARKS))
                plumbed.close()  # its parsed layout is cached until then
                if len(text) > len(page.text) * 1.5:
                    page.text, page.extractor = text, "pdfplumber"
                if any(any(cell for row in table for cell in row) for table in tables):
                    page.tables, page.extractor = tables, "pdfplumber"
    except Exception as exc:  # noqa: BLE001 - PDFium read it; keep PDFium's text
        cause = exc.args[0] if exc.args else exc
        if "password" in str(cause).lower():
            raise Refused("encrypted: needs a password") from None
