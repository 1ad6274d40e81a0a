"""The `documents` table: files the documents library holds (mail attachments today), one row
per (tenant, content hash, file name)."""

from __future__ import annotations

from typing import Any

from resources.database import TenantScope
from resources.store.schema import documents


def insert_documents(scope: TenantScope, rows: list[dict[str, Any]]) -> int:
    return scope.insert(documents, rows, skip_conflicts_on=("tenant_id", "sha256"))
