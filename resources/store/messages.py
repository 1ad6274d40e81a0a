"""The `messages` table: every ingested message once per (tenant, message key)."""

from __future__ import annotations

from typing import Any

from resources.database import TenantScope
from resources.store.schema import messages


def insert_messages(scope: TenantScope, rows: list[dict[str, Any]]) -> int:
    """A key already stored is skipped, so a re-fetched batch adds nothing."""
    return scope.insert(messages, rows, skip_conflicts_on=("tenant_id", "message_key"))
