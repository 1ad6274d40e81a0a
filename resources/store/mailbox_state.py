"""Per tenant mailbox state: the sync checkpoint, the connection status a person sees, and the
alerts for a mailbox that keeps failing or has gone quiet."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from resources.alerts import raise_alert
from resources.database import TenantScope
from resources.database.clock import aware
from resources.store.alerts import resolve_alert
from resources.store.schema import mailbox_state

FAILURES_BEFORE_ALERT = 3


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
    resolve_alert(scope, f"mailbox_errors:{mailbox}")


def save_failure(scope: TenantScope, mailbox: str, status: str, detail: str, now: datetime) -> int:
    """Record a failed sync; the third in a row raises an alert. Returns the failure count."""
    failures = ((load_state(scope, mailbox) or {}).get("consecutive_failures") or 0) + 1
    _save(
        scope,
        mailbox,
        {"status": status, "detail": detail, "checked_at": now, "consecutive_failures": failures},
    )
    if failures >= FAILURES_BEFORE_ALERT:
        raise_alert(
            scope,
            "mailbox_errors",
            f"mailbox_errors:{mailbox}",
            f"mailbox {status} {failures} times in a row",
            detail,
            now,
            "error",
        )
    return failures


def check_stalled(scope: TenantScope, mailbox: str, stalled_hours: int, now: datetime) -> bool:
    """A mailbox that used to receive mail and has ingested nothing for `stalled_hours`."""
    state = load_state(scope, mailbox) or {}
    last = state.get("last_message_at")
    last = aware(last) if last is not None else None
    key = f"ingest_stalled:{mailbox}"
    if state.get("messages_total") and last and now - last > timedelta(hours=stalled_hours):
        raise_alert(
            scope,
            "ingest_stalled",
            key,
            "ingest stalled",
            f"no new mail since {last:%Y-%m-%d %H:%M} UTC ({stalled_hours} h threshold)",
            now,
        )
        return True
    resolve_alert(scope, key)
    return False
