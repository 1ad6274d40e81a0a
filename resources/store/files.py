"""Files ingest writes beside the database: attachments (for the documents library) and the raw
bytes of quarantined messages (for a person to inspect)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from resources.paths import steward_home

SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def safe_filename(name: str) -> str:
    cleaned = SAFE_NAME.sub("_", name).strip("._") or "attachment"
    return cleaned[:150]


def store_attachment(tenant: str, filename: str, data: bytes) -> tuple[Path, str]:
    """Content-addressed, so the same attachment delivered twice is one file."""
    digest = hashlib.sha256(data).hexdigest()
    path = steward_home() / "attachments" / tenant / digest[:2] / digest / safe_filename(filename)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return path, digest


def store_quarantined(tenant: str, key: str, data: bytes) -> Path:
    name = hashlib.sha256(key.encode()).hexdigest()[:24] + ".eml"
    path = steward_home() / "quarantine" / tenant / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path
