"""Alert rows, and the provider failures some alerts count: one open alert per dedupe key,
counting how often it recurred, and deciding when a person hears about it again.

An alert that keeps happening must not page someone every time it recurs: a notification goes out
when the alert is new, and after that at most once per the tenant's throttle window
(`thresholds.alert_throttle_minutes`). The decision to notify is claimed with a conditional update
on the notification counter, so two runs raising the same alert at once notify only once.

A person who has seen an alert acknowledges it (`steward alert ack`): it stays the one alert of
its key and keeps counting, but is never notified again, since the claim only takes an alert still
`open`. Resolving it (by a person, or by the rule once its condition clears) closes it, and the
next occurrence opens a new alert, which notifies. Who did either, and when, is kept on the row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from resources.database import TenantScope
from resources.database.clock import aware
from resources.store.schema import alerts, provider_failures

# the statuses of the one alert a key has until it is resolved
ACTIVE = ("open", "acknowledged")
STATUSES = (*ACTIVE, "resolved")


class AlertError(ValueError):
    """A person's request about an alert that cannot be done, with the reason."""


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
    """Open an alert or count another occurrence of the active one, and claim a notification
    when it is new or its last one is older than the throttle window (`throttle=False`: always);
    an acknowledged alert counts the occurrence and is never notified."""
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
    due = row["status"] == "open" and (
        not throttle or last is None or aware(now) - aware(last) >= window
    )
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


def resolve_alert(scope: TenantScope, dedupe_key: str, now: datetime) -> None:
    """The rule's condition cleared: close the active alert under this key (naming nobody), so
    the next occurrence opens (and notifies) a new one."""
    scope.execute(
        sa.update(alerts)
        .where(alerts.c.dedupe_key == dedupe_key, alerts.c.status.in_(ACTIVE))
        .values(status="resolved", resolved_at=now)
    )


def get(scope: TenantScope, alert_id: int) -> dict[str, Any] | None:
    row = scope.execute(scope.select(alerts).where(alerts.c.id == alert_id)).mappings().first()
    return dict(row) if row else None


def listing(scope: TenantScope, statuses: tuple[str, ...], limit: int) -> list[dict[str, Any]]:
    """The tenant's alerts in these statuses, the most recently seen first."""
    query = (
        scope.select(alerts)
        .where(alerts.c.status.in_(statuses))
        .order_by(alerts.c.last_seen_at.desc(), alerts.c.id.desc())
        .limit(limit)
    )
    return [dict(r) for r in scope.execute(query).mappings()]


def acknowledge(
    scope: TenantScope, alert_id: int, by: str, now: datetime
) -> tuple[dict[str, Any], bool]:
    """Stop an open alert's notifications, naming who; (the row, False) when it was already
    acknowledged, which keeps the first acknowledgement."""
    done = scope.execute(
        sa.update(alerts)
        .where(alerts.c.id == alert_id, alerts.c.status == "open")
        .values(status="acknowledged", acknowledged_at=now, acknowledged_by=by)
    )
    row = _existing(scope, alert_id)
    if row["status"] == "resolved":
        raise AlertError(f"alert {alert_id} is already resolved{_when_by(row)}")
    return row, done.rowcount == 1


def close(scope: TenantScope, alert_id: int, by: str, now: datetime) -> dict[str, Any]:
    """A person closes an open or acknowledged alert; its next occurrence is a new alert."""
    done = scope.execute(
        sa.update(alerts)
        .where(alerts.c.id == alert_id, alerts.c.status.in_(ACTIVE))
        .values(status="resolved", resolved_at=now, resolved_by=by)
    )
    row = _existing(scope, alert_id)
    if done.rowcount != 1:
        raise AlertError(f"alert {alert_id} is already resolved{_when_by(row)}")
    return row


def _existing(scope: TenantScope, alert_id: int) -> dict[str, Any]:
    row = get(scope, alert_id)
    if row is None:
        raise AlertError(f"no alert {alert_id} for tenant {scope.tenant.slug}")
    return row


def _when_by(row: dict[str, Any]) -> str:
    when = f" at {aware(row['resolved_at']):%Y-%m-%d %H:%M} UTC" if row["resolved_at"] else ""
    return f"{when} by {row['resolved_by'] or 'its rule, once the condition cleared'}"


def _open_row(scope: TenantScope, dedupe_key: str) -> dict[str, Any] | None:
    row = (
        scope.execute(
            scope.select(alerts)
            .where(alerts.c.dedupe_key == dedupe_key, alerts.c.status.in_(ACTIVE))
            .order_by(alerts.c.id)
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


def _claim(scope: TenantScope, alert_id: int, seen_notifications: int, now: datetime) -> bool:
    """Count the notification only if nobody else did since we read the row and nobody
    acknowledged (or resolved) it meanwhile."""
    result = scope.execute(
        sa.update(alerts)
        .where(
            alerts.c.id == alert_id,
            alerts.c.status == "open",
            alerts.c.notifications == seen_notifications,
        )
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
