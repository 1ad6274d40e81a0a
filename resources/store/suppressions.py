"""The `suppressions` and `cadence_pauses` tables: addresses that must never receive mail again
(a hard bounce, an opt-out) and cadences paused because the contact replied."""

from __future__ import annotations

from typing import Any

from resources.database import TenantScope
from resources.store.schema import cadence_pauses, suppressions


def suppress(scope: TenantScope, rows: list[dict[str, Any]]) -> int:
    """One suppression per address; the first reason stands. Returns the new ones."""
    first: dict[str, dict[str, Any]] = {}
    for row in rows:
        first.setdefault(row["email"], row)
    return scope.insert(
        suppressions, list(first.values()), skip_conflicts_on=("tenant_id", "email")
    )


def pause_cadences(scope: TenantScope, rows: list[dict[str, Any]]) -> int:
    return scope.insert(cadence_pauses, rows, skip_conflicts_on=("tenant_id", "message_id"))
