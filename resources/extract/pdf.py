"""PDF text: PDFium (pypdfium2) for every page, pdfplumber only for a page that looks like it
holds a table (ruling lines) or whose PDFium text is much thinner than its text objects
promise (CJK text PDFium drops). A document with no text on any page but images is scanned:
it needs OCR, which Steward does not do."""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from resources.extract.model import Limits, Page, Refused, clean

RULES_FOR_TABLE = 4  # path objects on a page before pdfplumber is asked for its tables
THIN_SHARE = 0.3  # PDFium text under this share of the text objects' count: ask pdfplumber


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
            text = clean(page.get_textpage().get_text_bounded())
            kinds = [obj.type for obj in page.get_objects(max_depth=1)]
            texts = kinds.count(pdfium_c.FPDF_PAGEOBJ_TEXT)
            paths = kinds.count(pdfium_c.FPDF_PAGEOBJ_PATH)
            images += kinds.count(pdfium_c.FPDF_PAGEOBJ_IMAGE)
            pages.append(Page(index + 1, text, [], "pypdfium2"))
            if paths >= RULES_FOR_TABLE or (texts and len(text) < THIN_SHARE * texts):
                want_plumber.append(index)
    finally:
        document.close()
    if want_plumber:
        _with_pdfplumber(path, pages, want_plumber)
    needs_ocr = bool(pages) and not any(p.text for p in pages) and images > 0
    return pages, needs_ocr


def _with_pdfplumber(path: Path, pages: list[Page], indexes: list[int]) -> None:
    import pdfplumber  # loaded only for the pages that need it

    try:
        with pdfplumber.open(path) as pdf:
            for index in indexes:
                plumbed = pdf.pages[index]
                tables = [[[cell or "" for cell in row] for row in table]
                          for table in plumbed.extract_tables()]
                page = pages[index]
                text = clean(plumbed.extract_text() or "")
                if len(text) > len(page.text) * 1.5:
                    page.text = text
                page.tables, page.extractor = tables, "pdfplumber"
    except Exception as exc:  # noqa: BLE001 - PDFium read it; keep PDFium's text
        cause = exc.args[0] if exc.args else exc
        if "password" in str(cause).lower():
            raise Refused("encrypted: needs a password") from None
