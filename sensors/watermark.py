"""What the high-water-mark sensors share: per tenant, the newest id of what they watch (an order
waiting for validation, an approval) against the cursor's, and one run for every tenant that
moved.

The cursor maps tenant slug to the newest id already handed to a run, so a tick requests each new
item once however often the sensor ticks; the run key names the tick's tenants and ids, so a
repeated evaluation of the same tick is harmless too. A burst across 1,000 tenants is one run.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from resources.database import Database, TenantScope


def moved_tenants(
    database: Database, newest: Callable[[TenantScope], int | None], cursor: str | None
) -> tuple[dict[str, int], dict[str, int]]:
    """(tenants whose newest id is past the cursor's, with that id; the cursor as read)."""
    seen: dict[str, int] = json.loads(cursor) if cursor else {}
    moved = {}
    enabled = [t.slug for t in database.tenants() if t.agent_enabled]
    for scope in database.each_tenant(enabled):
        latest = newest(scope)
        if latest is not None and latest > seen.get(scope.tenant.slug, 0):
            moved[scope.tenant.slug] = latest
    return moved, seen


def run_key(area: str, moved: dict[str, int]) -> str:
    pairs = "\n".join(f"{slug}:{n}" for slug, n in sorted(moved.items()))
    return f"{area}:{len(moved)}:{hashlib.sha256(pairs.encode()).hexdigest()[:16]}"
