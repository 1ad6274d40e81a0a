"""Draining a tenant's extraction queue within a time budget: claimed documents go to the
extractor pool's worker processes, and each result is stored as it comes (pages, chunks, the
category with its reason, or the failure with its reason), so a run cut short keeps what it
finished and the rest stays queued."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from agent.documents import chunk_page, infer_category
from resources.database import Database
from resources.extract import Extraction, ExtractorPool
from resources.store import documents as store

BATCH = 16


@dataclass
class Drained:
    statuses: Counter = field(default_factory=Counter)
    pages: int = 0
    chars: int = 0
    needs_ocr: int = 0
    seconds: float = 0.0
    problems: list[dict[str, Any]] = field(default_factory=list)

    @property
    def files(self) -> int:
        return sum(self.statuses.values())


def _values(doc: dict[str, Any], result: Extraction, text: str, now: datetime) -> dict[str, Any]:
    values: dict[str, Any] = {
        "status": result.status, "error": result.error, "detected_type": result.detected_type,
        "needs_ocr": result.needs_ocr, "pages": len(result.pages), "chars": result.chars,
        "extractor": result.extractor, "extracted_at": now, "claimed_at": None,
        "updated_at": now,
    }
    if not doc["category_by"]:  # a person's choice of category stands
        linked = bool(doc["order_id"] or doc["account_id"])
        category = infer_category(doc["filename"], text, doc["source"], linked)
        values.update(category=category.name, category_reason=category.reason)
    return values


def store_result(db: Database, slug: str, doc: dict[str, Any], result: Extraction,
                 now: datetime) -> None:
    pages = [{"page": p.number, "text": p.text, "tables": p.tables, "extractor": p.extractor}
             for p in result.pages]
    chunks = [{"page": c.page, "start": c.start, "body": c.body}
              for p in result.pages for c in chunk_page(p.number, p.text)]
    text = "\n".join(p.text for p in result.pages)
    with db.for_tenant(slug) as scope:
        store.save_text(scope, doc["id"], _values(doc, result, text, now), pages, chunks)


def drain(db: Database, slug: str, pool: ExtractorPool, now: datetime, budget_s: float,
          clock: Callable[[], float] = time.monotonic) -> Drained:
    """Extract queued documents until the queue is empty or the budget is spent."""
    started = clock()
    drained = Drained()
    while clock() - started < budget_s:
        with db.for_tenant(slug) as scope:
            claimed = store.claim(scope, BATCH, now)
        if not claimed:
            break
        by_path = {Path(doc["path"]): doc for doc in claimed}
        for path, result in pool.map(list(by_path)):
            doc = by_path.pop(path)
            store_result(db, slug, doc, result, now)
            drained.statuses[result.status] += 1
            drained.pages += len(result.pages)
            drained.chars += result.chars
            drained.needs_ocr += result.needs_ocr
            if result.error:
                drained.problems.append({"document": doc["id"], "file": doc["filename"],
                                         "status": result.status, "reason": result.error})
    drained.seconds = clock() - started
    return drained
