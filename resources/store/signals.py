"""The `signals` table: what a message says beyond its class (an opportunity, a request for a
person), with its evidence, one per message and kind; marked actioned once Steward acted."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from resources.database import TenantScope
from resources.store.schema import signals


def record_signals(scope: TenantScope, rows: list[dict[str, Any]]) -> int:
    return scope.insert(signals, rows, skip_conflicts_on=("tenant_id", "message_id", "kind"))


def mark_actioned(scope: TenantScope, signal_id: int, now: datetime) -> None:
    """The request is answered (its task opened): the planner proposes it no more."""
    scope.execute(
        sa.update(signals)
        .where(signals.c.id == signal_id, signals.c.actioned_at.is_(None))
        .values(actioned_at=now)
    )
