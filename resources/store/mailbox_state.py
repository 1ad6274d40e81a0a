"""The `mailbox_state` table: per tenant mailbox, the sync checkpoint and the connection status a
person sees (`steward inbox status`, the `mailboxes_healthy` check)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from resources.database import TenantScope
from resources.store.schema import mailbox_state


def load_state(scope: TenantScope, mailbox: str) -> dict[str, Any] | None:
    row = (
        scope.execute(scope.select(mailbox_state).where(mailbox_state.c.mailbox == mailbox))
        .mappings()
        .first()
    )
    return dict(row) if row else None


def _save(scope: TenantScope, mailbox: str, values: dict[str, Any]) -> None:
    if load_state(scope, mailbox) is None:
        scope.insert(mailbox_state, {"mailbox": mailbox, **values})
    else:
        scope.execute(
            sa.update(mailbox_state).where(mailbox_state.c.mailbox == mailbox).values(**values)
        )


def save_success(
    scope: TenantScope, mailbox: str, checkpoint: dict, now: datetime, new: int
) -> None:
    """A good sync; `last_message_at` is when new mail last arrived here (what "stalled" means)."""
    state = load_state(scope, mailbox) or {}
    values: dict[str, Any] = {
        "checkpoint": checkpoint,
        "status": "connected",
        "detail": None,
        "consecutive_failures": 0,
        "checked_at": now,
        "last_success_at": now,
        "messages_total": (state.get("messages_total") or 0) + new,
    }
    if new:
        values["last_message_at"] = now
    _save(scope, mailbox, values)


def save_failure(scope: TenantScope, mailbox: str, status: str, detail: str, now: datetime) -> int:
    """Record a failed sync. Returns the failures in a row, this one included."""
    failures = ((load_state(scope, mailbox) or {}).get("consecutive_failures") or 0) + 1
    _save(
        scope,
        mailbox,
        {"status": status, "detail": detail, "checked_at": now, "consecutive_failures": failures},
    )
    return failures
