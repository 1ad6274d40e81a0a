"""One tenant's result in one unit of batched work (a cycle phase, an ingest, an order check):
what the assets report on the tenant's partition and count in their `tenants_failed` check."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Outcome:
    status: str  # done | skipped (nothing to do, or held) | failed
    detail: str  # one line
    figures: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0  # Steward's own time for this tenant, apart from Dagster's bookkeeping
