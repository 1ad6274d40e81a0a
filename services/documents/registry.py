"""Registering the files of a tenant's uploads folder: new files are queued, a changed file is
queued again under the same row, and content already held is not stored twice."""

from __future__ import annotations

import hashlib
import mimetypes
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from resources.database import Database
from resources.store import documents as store

READ_BLOCK = 1 << 20


def upload_files(folder: Path) -> Iterator[Path]:
    """Files under the folder, skipping hidden ones and partial downloads."""
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts) or path.suffix in (".part",
                                                                                    ".crdownload"):
            continue
        if path.is_file():
            yield path


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(READ_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def register_uploads(db: Database, slug: str, now: datetime) -> Counter:
    """Register every file in the tenant's documents folder and forget the uploads whose file
    is gone; counts of new, changed, same, duplicate and removed files (and 'vanished' for one
    removed while it was read). A folder that is missing or holds no file at all removes
    nothing: an unmounted share or a folder being replaced looks like that too."""
    with db.for_tenant(slug) as scope:
        folder = scope.tenant.settings.documents_dir
    found: Counter = Counter()
    if not folder or not Path(folder).is_dir():
        return found
    root = Path(folder)
    present: set[str] = set()
    for path in upload_files(root):
        present.add(str(path.relative_to(root)))
        try:
            size, digest = path.stat().st_size, sha256_of(path)
        except FileNotFoundError:
            found["vanished"] += 1
            continue
        row = {"filename": path.name, "path": str(path), "origin": str(path.relative_to(root)),
               "content_type": mimetypes.guess_type(path.name)[0], "size_bytes": size,
               "sha256": digest, "source": "upload"}
        with db.for_tenant(slug) as scope:
            found[store.register_upload(scope, row, now)] += 1
    if present:
        with db.for_tenant(slug) as scope:
            found["removed"] = store.remove_uploads(scope, present)
    return found


def folder_fingerprint(folder: Path) -> str:
    """A digest of the folder's file names, sizes and modification times: what the sensor
    compares to notice new and changed files without reading them; "-" for no files."""
    digest, files = hashlib.sha256(), 0
    for path in upload_files(folder):
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue
        files += 1
        digest.update(f"{path.relative_to(folder)}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest() if files else "-"
