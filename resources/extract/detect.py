"""A file's type from its content, not its name: a .pdf that is a DOCX is read as a DOCX."""

from __future__ import annotations

import zipfile
from pathlib import Path

HEAD = 8192
IMAGES = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"II*\x00", b"MM\x00*")
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")


def detect_type(path: Path) -> str:
    with path.open("rb") as handle:
        head = handle.read(HEAD)
    if not head:
        return "empty"
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return _zip_type(path)
    if head.startswith(OLE):
        with path.open("rb") as handle:
            return "encrypted-office" if ENCRYPTED_PACKAGE in handle.read() else "doc"
    if head.startswith(IMAGES):
        return "image"
    if b"\x00" in head:
        return "unknown"
    sample = head.decode("utf-8", "ignore").lstrip().lower()
    if sample.startswith(("<!doctype html", "<html")) or "<body" in sample[:2000]:
        return "html"
    lines = [line for line in sample.splitlines()[:10] if line.strip()]
    if len(lines) >= 2 and all(line.count(",") >= 1 for line in lines) and len(
            {line.count(",") for line in lines[:-1]}) == 1:
        return "csv"
    return "text"


def _zip_type(path: Path) -> str:
    try:
        names = set(zipfile.ZipFile(path).namelist())
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
