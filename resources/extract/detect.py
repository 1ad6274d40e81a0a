"""A file's type from its content, not its name: a .pdf that is a DOCX is read as a DOCX."""

from __future__ import annotations

import zipfile
from pathlib import Path

HEAD = 8192
CHUNK = 2**20
IMAGES = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"II*\x00", b"MM\x00*")
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")


def detect_type(path: Path) -> str:
    """One of "pdf", "docx", "xlsx", "html", "csv", "text", "doc", "encrypted-office", "zip",
    "image", "empty", "unknown". Names lie (mail clients rename, people save as), so only the
    bytes decide; it reads the head, a zip's directory, or an OLE file's stream names."""
    with path.open("rb") as handle:
        head = handle.read(HEAD)
    if not head:
        return "empty"
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return _zip_type(path)
    if head.startswith(OLE):
        return "encrypted-office" if _holds(path, ENCRYPTED_PACKAGE) else "doc"
    if head.startswith(IMAGES):
        return "image"
    if b"\x00" in head:
        return "unknown"
    sample = head.decode("utf-8", "ignore").lstrip().lower()
    if sample.startswith(("<!doctype html", "<html")) or "<body" in sample[:2000]:
        return "html"
    lines = [line for line in sample.splitlines()[:10] if line.strip()]
    return "csv" if len(lines) >= 2 and any(_columns(lines, d) for d in ",;\t") else "text"


def _columns(lines: list[str], delimiter: str) -> bool:
    """Whether every line has the delimiter, as often in each (the last line of the head may
    be cut short)."""
    counts = [line.count(delimiter) for line in lines]
    return min(counts) >= 1 and len(set(counts[:-1])) == 1


def _holds(path: Path, needle: bytes) -> bool:
    """Whether the file holds `needle`, read a chunk at a time: an OLE file's directory can sit
    anywhere in it, and the file can be of any size."""
    tail = b""
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            if needle in tail + chunk:
                return True
            tail = chunk[-len(needle):]
    return False


def _zip_type(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile:
        # a cut-short container: its first entry names what it was meant to be
        with path.open("rb") as handle:
            head = handle.read(HEAD)
        if b"word/" in head:
            return "docx"
        if b"xl/" in head:
            return "xlsx"
        return "zip"
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    return "zip"
