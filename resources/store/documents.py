"""The `documents`, `document_pages` and `document_chunks` tables: the registry of files the
documents library holds (one row per tenant and content hash), the text extracted from them and
the chunks search reads. services/documents decides what to write."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from agent.documents import chunk_page
from resources.database import TenantScope
from resources.store.schema import document_chunks, document_pages, documents

# A row left `processing` this long was claimed by a run that died: it is claimed again.
STALE_CLAIM = timedelta(minutes=30)
RESET = {"status": "pending", "error": None, "detected_type": None, "needs_ocr": False,
         "pages": None, "chars": None, "extractor": None, "attempts": 0, "extracted_at": None}


def insert_documents(scope: TenantScope, rows: list[dict[str, Any]]) -> int:
    return scope.insert(documents, rows, skip_conflicts_on=("tenant_id", "sha256"))


def register_upload(scope: TenantScope, row: dict[str, Any], now: datetime) -> str:
    """Record a file found in the uploads folder under its `origin` (its path in the folder):
    'new', 'same' (nothing changed), 'changed' (new content: queued again, old text dropped)
    or 'duplicate' (the content is already held under another name)."""
    held = scope.execute(
        sa.select(documents.c.id, documents.c.sha256).where(documents.c.origin == row["origin"])
    ).first()
    if held is not None and held.sha256 == row["sha256"]:
        return "same"
    other = scope.scalar(sa.select(documents.c.id).where(documents.c.sha256 == row["sha256"]))
    if held is None:
        return "new" if other is None and insert_documents(scope, [row]) else "duplicate"
    if other is not None:
        scope.execute(sa.delete(documents).where(documents.c.id == held.id))
        return "duplicate"
    scope.execute(sa.delete(document_pages).where(document_pages.c.document_id == held.id))
    scope.execute(sa.delete(document_chunks).where(document_chunks.c.document_id == held.id))
    scope.execute(sa.update(documents).where(documents.c.id == held.id).values(
        **RESET, sha256=row["sha256"], size_bytes=row["size_bytes"], path=row["path"],
        updated_at=now))
    return "changed"


def remove_uploads(scope: TenantScope, present: set[str]) -> int:
    """Forget the uploads whose file left the folder (`present`: the origins still there), with
    their pages and chunks, so search and answers stop quoting them; how many went."""
    gone = [r.id for r in scope.execute(
        sa.select(documents.c.id, documents.c.origin)
        .where(documents.c.source == "upload", documents.c.origin.is_not(None))
    ) if r.origin not in present]
    for table, column in ((document_chunks, document_chunks.c.document_id),
                          (document_pages, document_pages.c.document_id),
                          (documents, documents.c.id)):
        scope.execute(sa.delete(table).where(column.in_(gone)))
    return len(gone)


def claim(scope: TenantScope, limit: int, now: datetime) -> list[dict[str, Any]]:
    """Up to `limit` queued documents, oldest first, marked `processing` for this run; a claim
    older than STALE_CLAIM counts as queued."""
    waiting = sa.or_(
        documents.c.status == "pending",
        sa.and_(documents.c.status == "processing", documents.c.claimed_at < now - STALE_CLAIM),
    )
    rows = scope.execute(
        sa.select(documents).where(waiting).order_by(documents.c.id).limit(limit)
    ).mappings().all()
    if rows:
        scope.execute(sa.update(documents).where(documents.c.id.in_([r["id"] for r in rows]))
                      .values(status="processing", claimed_at=now,
                              attempts=documents.c.attempts + 1, updated_at=now))
    return [dict(r) for r in rows]


def release(scope: TenantScope, ids: list[int], now: datetime) -> None:
    """Put claimed documents back in the queue (the run's time budget ran out)."""
    scope.execute(sa.update(documents).where(documents.c.id.in_(ids),
                                             documents.c.status == "processing")
                  .values(status="pending", claimed_at=None, updated_at=now))


def save_text(scope: TenantScope, document_id: int, values: dict[str, Any],
              pages: list[dict[str, Any]], chunks: list[dict[str, Any]]) -> None:
    """Replace a document's pages and chunks and record how extraction went."""
    scope.execute(sa.delete(document_pages).where(document_pages.c.document_id == document_id))
    scope.execute(sa.delete(document_chunks).where(document_chunks.c.document_id == document_id))
    if pages:
        scope.insert(document_pages, [{**p, "document_id": document_id} for p in pages])
    if chunks:
        scope.insert(document_chunks, [{**c, "document_id": document_id} for c in chunks])
    scope.execute(sa.update(documents).where(documents.c.id == document_id).values(**values))


def set_category(scope: TenantScope, document_id: int, category: str, by: str,
                 now: datetime) -> bool:
    return bool(scope.execute(
        sa.update(documents).where(documents.c.id == document_id).values(
            category=category, category_reason=f"set by {by}", category_by=by, updated_at=now)
    ).rowcount)


def listing(scope: TenantScope, status: str | None = None, category: str | None = None,
            limit: int = 100) -> list[dict[str, Any]]:
    stmt = sa.select(documents).order_by(documents.c.id).limit(limit)
    if status:
        stmt = stmt.where(documents.c.status == status)
    if category:
        stmt = stmt.where(documents.c.category == category)
    return [dict(r) for r in scope.execute(stmt).mappings()]


def find(scope: TenantScope, document_id: int) -> dict[str, Any] | None:
    row = scope.execute(sa.select(documents).where(documents.c.id == document_id)).mappings()
    found = row.first()
    return dict(found) if found else None


def pages_of(scope: TenantScope, document_id: int) -> list[dict[str, Any]]:
    return [dict(r) for r in scope.execute(
        sa.select(document_pages).where(document_pages.c.document_id == document_id)
        .order_by(document_pages.c.page)).mappings()]


def counts(scope: TenantScope) -> dict[str, Counter]:
    """Documents by status and by category, and chunks in the search index."""
    rows = scope.execute(sa.select(documents.c.status, documents.c.category, sa.func.count())
                         .group_by(documents.c.status, documents.c.category)).all()
    by_status: Counter = Counter()
    by_category: Counter = Counter()
    for status, category, n in rows:
        by_status[status] += n
        by_category[category] += n
    chunks = scope.scalar(sa.select(sa.func.count()).select_from(document_chunks))
    return {"status": by_status, "category": by_category, "chunks": Counter(chunks=chunks)}


def failures(scope: TenantScope, limit: int = 50) -> list[dict[str, Any]]:
    return [dict(r) for r in scope.execute(
        sa.select(documents.c.id, documents.c.filename, documents.c.status, documents.c.error)
        .where(documents.c.status == "failed").order_by(documents.c.id).limit(limit)).mappings()]


def newest_pending(scope: TenantScope) -> int | None:
    """The highest id waiting for extraction: what the documents sensor watches for mail
    attachments that ingest registered."""
    return scope.scalar(sa.select(sa.func.max(documents.c.id))
                        .where(documents.c.status == "pending"))


def rechunk(scope: TenantScope) -> int:
    """Replace every chunk with chunks cut again from the stored pages; returns how many."""
    pages = scope.execute(sa.select(document_pages.c.document_id, document_pages.c.page,
                                    document_pages.c.text)).all()
    scope.execute(sa.delete(document_chunks))
    rows = [{"document_id": p.document_id, "page": c.page, "start": c.start, "body": c.body}
            for p in pages for c in chunk_page(p.page, p.text)]
    if rows:
        scope.insert(document_chunks, rows)
    return len(rows)
