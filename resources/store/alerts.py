"""Alert rows, and the provider failures some alerts count: one open alert per dedupe key,
counting how often it recurred, and deciding when a person hears about it again.

An alert that keeps happening must not page someone every time it recurs: a notification goes out
when the alert is new, and after that at most once per the tenant's throttle window
(`thresholds.alert_throttle_minutes`). The decision to notify is claimed with a conditional update
on the notification counter, so two runs raising the same alert at once notify only once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from resources.database import TenantScope
from resources.database.clock import aware
from resources.store.schema import alerts, provider_failures


@dataclass(frozen=True)
class StoredAlert:
    """An open alert as it stands after this raise, and what the caller should do about it."""

    id: int
    rule: str
    severity: str
    title: str
    detail: str
    occurrences: int
    first_seen_at: datetime
    last_seen_at: datetime
    new: bool
    notify: bool
    notification: int  # the number of this alert's latest notification (0: never notified)


def record_alert(
    scope: TenantScope,
    rule: str,
    dedupe_key: str,
    title: str,
    detail: str,
    now: datetime,
    severity: str = "warning",
    throttle: bool = True,
) -> StoredAlert:
    """Open an alert or count another occurrence of the open one, and claim a notification when
    it is new or its last one is older than the throttle window (`throttle=False`: always)."""
    existing = _open_row(scope, dedupe_key)
    if existing is not None:
        scope.execute(
            sa.update(alerts)
            .where(alerts.c.id == existing["id"])
            .values(occurrences=alerts.c.occurrences + 1, last_seen_at=now, detail=detail)
        )
    else:
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
    row = _open_row(scope, dedupe_key)
    assert row is not None  # written just above, in this transaction
    window = timedelta(minutes=scope.tenant.settings.thresholds.alert_throttle_minutes)
    last = row["last_notified_at"]
    due = not throttle or last is None or aware(now) - aware(last) >= window
    notification = row["notifications"]
    if due and _claim(scope, row["id"], row["notifications"], now):
        notification += 1
    else:
        due = False
    return StoredAlert(
        id=row["id"],
        rule=row["rule"],
        severity=row["severity"],
        title=row["title"],
        detail=row["detail"] or "",
        occurrences=row["occurrences"],
        first_seen_at=aware(row["first_seen_at"]),
        last_seen_at=aware(row["last_seen_at"]),
        new=existing is None,
        notify=due,
        notification=notification,
    )


def record_channels(scope: TenantScope, alert_id: int, channels: dict[str, str]) -> None:
    """Keep what each channel did with the latest notification, so a person can see whether the
    alert actually reached anyone."""
    scope.execute(sa.update(alerts).where(alerts.c.id == alert_id).values(channels=channels))


def resolve_alert(scope: TenantScope, dedupe_key: str) -> None:
    """Close the open alert under this key; the next occurrence opens (and notifies) a new one."""
    scope.execute(
        sa.update(alerts)
        .where(alerts.c.dedupe_key == dedupe_key, alerts.c.status == "open")
        .values(status="resolved")
    )


def _open_row(scope: TenantScope, dedupe_key: str) -> dict[str, Any] | None:
    row = (
        scope.execute(
            scope.select(alerts)
            .where(alerts.c.dedupe_key == dedupe_key, alerts.c.status == "open")
            .order_by(alerts.c.id)
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


def _claim(scope: TenantScope, alert_id: int, seen_notifications: int, now: datetime) -> bool:
    """Count the notification only if nobody else did since we read the row."""
    result = scope.execute(
        sa.update(alerts)
        .where(alerts.c.id == alert_id, alerts.c.notifications == seen_notifications)
        .values(last_notified_at=now, notifications=alerts.c.notifications + 1)
    )
    return result.rowcount == 1


def record_provider_failure(
    scope: TenantScope,
    provider: str,
    detail: str,
    now: datetime,
    code: int | None = None,
    quota: bool = False,
    outbox_id: int | None = None,
) -> None:
    scope.insert(
        provider_failures,
        {
            "provider": provider,
            "kind": "quota" if quota else "failure",
            "code": code,
            "detail": detail,
            "outbox_id": outbox_id,
            "occurred_at": now,
        },
    )


def provider_failures_since(scope: TenantScope, start: datetime, end: datetime) -> int:
    """Failures and quota errors of any provider in (start, end]."""
    return int(
        scope.scalar(
            scope.select(sa.func.count())
            .select_from(provider_failures)
            .where(
                provider_failures.c.kind.in_(("failure", "quota")),
                provider_failures.c.occurred_at > start,
                provider_failures.c.occurred_at <= end,
            )
        )
    )
