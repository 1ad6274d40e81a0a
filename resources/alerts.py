"""Alert rows: one open alert per dedupe key, counting how often it recurred.

This is the write side every area uses to raise a problem for a person; delivery channels (log,
email, webhook) and throttling hang off these rows.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from resources.database import TenantScope
from resources.schema import alerts


def raise_alert(
    scope: TenantScope,
    rule: str,
    dedupe_key: str,
    title: str,
    detail: str,
    now: datetime,
    severity: str = "warning",
) -> bool:
    """Open an alert, or count another occurrence of the open one; True when it is new."""
    open_alert = scope.execute(
        scope.select(alerts.c.id).where(
            alerts.c.dedupe_key == dedupe_key, alerts.c.status == "open"
        )
    ).first()
    if open_alert:
        scope.execute(
            sa.update(alerts)
            .where(alerts.c.id == open_alert.id)
            .values(occurrences=alerts.c.occurrences + 1, last_seen_at=now, detail=detail)
        )
        return False
    scope.insert(
        alerts,
        {
            "rule": rule,
            "severity": severity,
            "dedupe_key": dedupe_key,
            "title": title,
            "detail": detail,
            "first_seen_at": now,
            "last_seen_at": now,
        },
    )
    return True


def resolve_alert(scope: TenantScope, dedupe_key: str) -> None:
    scope.execute(
        sa.update(alerts)
        .where(alerts.c.dedupe_key == dedupe_key, alerts.c.status == "open")
        .values(status="resolved")
    )
