"""One file to pages, in process, never raising for bad input: the reason goes in the result."""

from __future__ import annotations

import time
from pathlib import Path

from resources.extract.detect import detect_type
from resources.extract.model import Extraction, Limits, Page, Refused, memory_limit
from resources.extract.office import extract_docx, extract_xlsx
from resources.extract.pdf import extract_pdf
from resources.extract.plain import extract_csv, extract_html, extract_text

SKIPPED = {"doc": "unsupported type: Word 97-2003 document",
           "image": "needs OCR: image file", "zip": "unsupported type: zip archive",
           "unknown": "unsupported type: unknown binary", "empty": "empty file"}
# A name that promises a type we read while the bytes are none: a damaged file, not an odd one.
CLAIMED = {".pdf": "a PDF", ".docx": "a Word document", ".xlsx": "an Excel workbook"}


def _pages(kind: str, path: Path, limits: Limits) -> tuple[list[Page], bool]:
    if kind == "pdf":
        return extract_pdf(path, limits)
    if kind == "encrypted-office":
        raise Refused("encrypted: needs a password")
    readers = {"docx": lambda: extract_docx(path, limits),
               "xlsx": lambda: extract_xlsx(path, limits), "html": lambda: extract_html(path),
               "csv": lambda: extract_csv(path), "text": lambda: extract_text(path)}
    claimed = CLAIMED.get(path.suffix.lower())
    if kind == "unknown" and claimed:
        raise Refused(f"damaged: named {path.name} but the content is not {claimed}")
    if kind not in readers:
        raise Refused(SKIPPED[kind], skipped=True)
    return readers[kind](), False


def _size(size: int) -> str:
    """A size for the too-large line: "50.4 MB" (not "50 MB over the 50 MB limit"), "50 MB",
    or "5,000 bytes" under a small limit."""
    if size < 2**20:
        return f"{size:,} bytes"
    return f"{size / 2**20:.1f}".removesuffix(".0") + " MB"


def extract_file(path: Path, limits: Limits = Limits()) -> Extraction:  # noqa: B008
    started = time.perf_counter()
    kind = "unknown"
    try:
        size = path.stat().st_size
        if size > limits.max_bytes:  # before detection, which may read all of an OLE file
            raise Refused(f"too large: {_size(size)} over the {_size(limits.max_bytes)} limit",
                          skipped=True)
        kind = detect_type(path)
        pages, needs_ocr = _pages(kind, path, limits)
    except Refused as refused:
        return Extraction("skipped" if refused.skipped else "failed", kind, error=str(refused),
                          seconds=time.perf_counter() - started)
    except FileNotFoundError:
        return Extraction("failed", kind, error=f"file disappeared: {path.name}",
                          seconds=time.perf_counter() - started)
    except MemoryError:  # in a pool worker, the pool replaces the process after this result
        result = memory_limit(limits, kind)
        result.seconds = time.perf_counter() - started
        return result
    except Exception as exc:  # noqa: BLE001 - a parser's own failure on a pathological file
        return Extraction("failed", kind, error=f"damaged: {type(exc).__name__}: "
                          f"{str(exc)[:160]}", seconds=time.perf_counter() - started)
    extractors = "+".join(dict.fromkeys(p.extractor for p in pages)) or kind
    error = None
    if needs_ocr:
        error = f"needs OCR: no text layer on {len(pages)} page(s)"
    return Extraction("completed", kind, pages, extractors, needs_ocr, error,
                      time.perf_counter() - started)
