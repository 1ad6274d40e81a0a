"""Deliverables for kinds without a platform client yet (SEO, social, ads, ...): the action is
written as a JSON file a person or a later provider picks up. Written atomically, so a crash
leaves the old file or the new one, and rewriting it on a retry is harmless."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any


def write_deliverable(folder: Path, row: dict[str, Any]) -> Path:
    folder = folder / row["kind"]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{file_name(row)}.json"
    tmp = path.with_suffix(".tmp")
    body = {k: row[k] for k in ("idempotency_key", "kind", "target", "payload", "reason")}
    tmp.write_text(json.dumps(body, indent=2, default=str))
    os.replace(tmp, path)
    return path


def file_name(row: dict[str, Any]) -> str:
    digest = hashlib.sha256(row["idempotency_key"].encode()).hexdigest()[:16]
    return f"{row['id']:08d}-{digest}"
