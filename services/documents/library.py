"""One pass of the documents library for a tenant: register the uploads folder, drain the
extraction queue within the budget, bring the vector index up to date, and report where the
tenant's documents stand."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from resources.database import Database
from resources.extract import ExtractorPool
from resources.store import documents as store
from services.documents.extraction import Drained, drain
from services.documents.indexing import refresh_vectors
from services.documents.registry import register_uploads


@dataclass
class TenantDocuments:
    registered: Counter
    drained: Drained
    embedded: int
    by_status: Counter = field(default_factory=Counter)
    by_category: Counter = field(default_factory=Counter)
    chunks: int = 0
    failures: list[dict[str, Any]] = field(default_factory=list)

    def figures(self) -> dict[str, int | float]:
        return {"removed": self.registered.get("removed", 0),
                "extracted": self.drained.files, "pages": self.drained.pages,
                "chars": self.drained.chars, "seconds": round(self.drained.seconds, 2),
                "pending": self.by_status.get("pending", 0),
                "failed": self.by_status.get("failed", 0), "chunks": self.chunks}


def run_library(db: Database, slug: str, pool: ExtractorPool, now: datetime,
                budget_s: float) -> TenantDocuments:
    registered = register_uploads(db, slug, now)
    drained = drain(db, slug, pool, now, budget_s)
    embedded = refresh_vectors(db, slug, now)
    with db.for_tenant(slug) as scope:
        counts = store.counts(scope)
        failures = store.failures(scope)
    return TenantDocuments(registered, drained, embedded, counts["status"], counts["category"],
                           counts["chunks"]["chunks"], failures)
