"""The built-in alert rules: the conditions a person should hear about even when no run failed.

Each rule reads the tenant's own rows over a fixed window ending at `now` (so a rerun for the same
`now` sees the same figures) and raises through the alerts service, which dedupes and throttles.
Rules that are checked periodically resolve their alert once the condition clears, so the next
occurrence is a new alert and notifies at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from resources.alerts.service import Alerts
from resources.database import TenantScope
from resources.mailer import Mailer
from resources.store.alerts import resolve_alert
from resources.store.schema import outbox, policy_violations, provider_failures

PROVIDER_FAILURE_WINDOW = timedelta(minutes=15)
PROVIDER_FAILURE_THRESHOLD = 5  # failures (any provider, quota included) within the window

SEND_VOLUME_WINDOW = timedelta(hours=1)
SEND_VOLUME_BASELINE = timedelta(days=7)  # the trailing normal, before the last hour
SEND_VOLUME_RATIO = 2.0  # last hour >= 200% of the normal hourly sends
SEND_VOLUME_MIN_SENDS = 10  # fewer sends than this in the last hour is never a spike

POLICY_BLOCK_WINDOW = timedelta(hours=1)
POLICY_BLOCK_THRESHOLD = 10  # blocked actions within the window


@dataclass(frozen=True)
class SendVolume:
    """The figures behind the send-volume rule, for the caller's metadata."""

    last_hour: int
    normal: float  # mean sends per hour over the baseline
    ratio: float | None  # last_hour / normal; None when the normal is zero
    alerted: bool


def record_provider_failure(
    scope: TenantScope,
    provider: str,
    detail: str,
    now: datetime,
    code: int | None = None,
    quota: bool = False,
    outbox_id: int | None = None,
    alerts: Alerts | None = None,
    mailer: Mailer | None = None,
) -> int:
    """Record a provider error; a quota or rate-limit error alerts at once, and a run of failures
    alerts when it reaches the threshold. Returns the failures within the window."""
    service = alerts or Alerts()
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
    said = f"{provider}{f' {code}' if code is not None else ''}: {detail}"
    if quota:
        service.raise_(
            scope,
            "provider_quota",
            f"provider_quota:{provider}",
            f"{provider} quota or rate limit reached",
            said,
            now,
            "error",
            mailer=mailer,
        )
    failures = int(
        scope.scalar(
            scope.select(sa.func.count())
            .select_from(provider_failures)
            .where(
                provider_failures.c.kind.in_(("failure", "quota")),
                provider_failures.c.occurred_at > now - PROVIDER_FAILURE_WINDOW,
                provider_failures.c.occurred_at <= now,
            )
        )
    )
    if failures >= PROVIDER_FAILURE_THRESHOLD:
        minutes = int(PROVIDER_FAILURE_WINDOW.total_seconds() // 60)
        service.raise_(
            scope,
            "provider_failures",
            "provider_failures",
            "provider failures piling up",
            f"{failures} provider failures in the last {minutes} minutes; latest: {said}",
            now,
            "error",
            mailer=mailer,
        )
    return failures


def check_send_volume(
    scope: TenantScope,
    now: datetime,
    alerts: Alerts | None = None,
    mailer: Mailer | None = None,
) -> SendVolume:
    """Alert when the last hour's sends reach twice the tenant's normal hourly sends; a tenant
    with no sends at all in the baseline that suddenly sends is unusual too."""
    hour_start = now - SEND_VOLUME_WINDOW
    last_hour = _sent_between(scope, hour_start, now)
    baseline = _sent_between(scope, hour_start - SEND_VOLUME_BASELINE, hour_start)
    normal = baseline / (SEND_VOLUME_BASELINE / SEND_VOLUME_WINDOW)
    ratio = last_hour / normal if normal else None
    spike = last_hour >= SEND_VOLUME_MIN_SENDS and (ratio is None or ratio >= SEND_VOLUME_RATIO)
    if spike:
        usual = f"{normal:.1f} per hour usually" if normal else "none in the previous 7 days"
        (alerts or Alerts()).raise_(
            scope,
            "send_volume",
            "send_volume",
            "unusual send volume",
            f"{last_hour} messages sent in the last hour ({usual})",
            now,
            "warning",
            mailer=mailer,
        )
    else:
        resolve_alert(scope, "send_volume")
    return SendVolume(last_hour, normal, ratio, spike)


def recent_blocks(scope: TenantScope, now: datetime) -> int:
    """Actions policy blocked within the spike window before `now`."""
    return int(
        scope.scalar(
            scope.select(sa.func.count())
            .select_from(policy_violations)
            .where(
                policy_violations.c.blocked.is_(True),
                policy_violations.c.created_at > now - POLICY_BLOCK_WINDOW,
                policy_violations.c.created_at <= now,
            )
        )
    )


def check_policy_block_spike(
    scope: TenantScope,
    now: datetime,
    alerts: Alerts | None = None,
    mailer: Mailer | None = None,
) -> int:
    """Alert when policy blocked many actions within the hour: the agent is proposing things it
    must not do, or a rule is misconfigured. Returns the blocks within the window."""
    blocked = recent_blocks(scope, now)
    if blocked >= POLICY_BLOCK_THRESHOLD:
        (alerts or Alerts()).raise_(
            scope,
            "policy_block_spike",
            "policy_block_spike",
            "many actions blocked by policy",
            f"{blocked} actions blocked by policy in the last hour",
            now,
            "warning",
            mailer=mailer,
        )
    else:
        resolve_alert(scope, "policy_block_spike")
    return blocked


def kill_switch_alert(
    scope: TenantScope,
    now: datetime,
    describe: str,
    alerts: Alerts | None = None,
    mailer: Mailer | None = None,
) -> bool:
    """Tell the tenant's people a kill switch was turned on (`steward killswitch on`, `steward
    tenant disable`); never throttled, each turn-on notifies. A global switch is announced by
    calling this once per tenant. True when the alert is new."""
    return (alerts or Alerts()).raise_(
        scope,
        "kill_switch",
        "kill_switch",
        "kill switch on: Steward has stopped acting",
        describe,
        now,
        "critical",
        mailer=mailer,
        throttle=False,
    )


def _sent_between(scope: TenantScope, start: datetime, end: datetime) -> int:
    return int(
        scope.scalar(
            scope.select(sa.func.count())
            .select_from(outbox)
            .where(outbox.c.status == "sent", outbox.c.sent_at > start, outbox.c.sent_at <= end)
        )
    )
