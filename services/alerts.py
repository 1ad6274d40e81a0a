"""The built-in alert rules: the conditions a person should hear about even when no run failed.

Each rule reads the tenant's own rows over a fixed window ending at `now` (so a rerun for the same
`now` sees the same figures), asks agent/alerts.py whether the condition holds, and raises through
the `Alerts` resource, which dedupes and throttles. Rules that are checked periodically resolve
their alert once the condition clears, so the next occurrence is a new alert and notifies at once.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from agent.alerts import (
    COMPLAINT_WINDOW,
    POLICY_BLOCK_WINDOW,
    PROVIDER_FAILURE_WINDOW,
    SEND_VOLUME_BASELINE,
    SEND_VOLUME_WINDOW,
    SendVolume,
    complaint_rate_high,
    policy_block_spike,
    provider_failures_piling_up,
    send_volume,
)
from resources.alerts import Alerts
from resources.database import Database, TenantScope
from resources.store import alerts as store
from resources.store.delivery_feedback import complaints_since
from resources.store.schema import outbox, policy_violations


def record_provider_failure(
    scope: TenantScope,
    alerts: Alerts,
    provider: str,
    detail: str,
    now: datetime,
    code: int | None = None,
    quota: bool = False,
    outbox_id: int | None = None,
) -> int:
    """Record a provider error; a quota or rate-limit error alerts at once, and a run of failures
    alerts when it reaches the threshold. Returns the failures within the window."""
    store.record_provider_failure(scope, provider, detail, now, code, quota, outbox_id)
    said = f"{provider}{f' {code}' if code is not None else ''}: {detail}"
    if quota:
        alerts.raise_(
            scope,
            "provider_quota",
            f"provider_quota:{provider}",
            f"{provider} quota or rate limit reached",
            said,
            now,
            "error",
        )
    failures = store.provider_failures_since(scope, now - PROVIDER_FAILURE_WINDOW, now)
    if provider_failures_piling_up(failures):
        minutes = int(PROVIDER_FAILURE_WINDOW.total_seconds() // 60)
        alerts.raise_(
            scope,
            "provider_failures",
            "provider_failures",
            "provider failures piling up",
            f"{failures} provider failures in the last {minutes} minutes; latest: {said}",
            now,
            "error",
        )
    return failures


def check_send_volume(scope: TenantScope, alerts: Alerts, now: datetime) -> SendVolume:
    """Alert when the last hour's sends reach twice the tenant's normal hourly sends."""
    hour_start = now - SEND_VOLUME_WINDOW
    volume = send_volume(
        _sent_between(scope, hour_start, now),
        _sent_between(scope, hour_start - SEND_VOLUME_BASELINE, hour_start),
    )
    if volume.alerted:
        usual = "none in the previous 7 days"
        if volume.normal:
            usual = f"{volume.normal:.1f} per hour usually"
        alerts.raise_(
            scope,
            "send_volume",
            "send_volume",
            "unusual send volume",
            f"{volume.last_hour} messages sent in the last hour ({usual})",
            now,
            "warning",
        )
    else:
        store.resolve_alert(scope, "send_volume", now)
    return volume


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


def check_policy_block_spike(scope: TenantScope, alerts: Alerts, now: datetime) -> int:
    """Alert when policy blocked many actions within the hour. Checked by the passes that put
    actions through the gate (the cycle's act phase, every dispatch pass), so a spike from any
    source is noticed within a minute. Returns the blocks within the window."""
    blocked = recent_blocks(scope, now)
    if policy_block_spike(blocked):
        alerts.raise_(
            scope,
            "policy_block_spike",
            "policy_block_spike",
            "many actions blocked by policy",
            f"{blocked} actions blocked by policy in the last hour",
            now,
            "warning",
        )
    else:
        store.resolve_alert(scope, "policy_block_spike", now)
    return blocked


def check_our_side_bounces(
    scope: TenantScope, alerts: Alerts, failures: list[str], now: datetime
) -> None:
    """Bounces that blame our mail (SPF/DKIM/DMARC, a blocklisted sender) suppress nobody: the
    recipients are fine and the tenant's sending is not, so a person hears of it at once, one
    alert per tenant. It stays open until a person resolves it (`steward alert resolve ID`): a
    quiet sync does not mean the sending was fixed."""
    if not failures:
        return
    alerts.raise_(
        scope,
        "bounce_our_reputation",
        "bounce_our_reputation",
        f"{len(failures)} bounces refused our mail (authentication or reputation)",
        "Receivers refused the tenant's mail for SPF/DKIM/DMARC or a blocklisted sender; "
        "the recipients were not suppressed. First: " + "; ".join(failures[:3]),
        now,
        "error",
    )


def check_complaint_rate(scope: TenantScope, alerts: Alerts, now: datetime) -> bool:
    """Spam complaints over the last 7 days against the sends of those days: at the tenant's
    threshold the providers start filtering all its mail, so a person hears of it; the alert
    resolves once the rate is back under. True when the rate is high."""
    start = now - COMPLAINT_WINDOW
    complaints = complaints_since(scope, start, now)
    sends = _sent_between(scope, start, now)
    threshold = scope.tenant.settings.thresholds.complaint_rate_alert_pct
    if not complaint_rate_high(complaints, sends, threshold):
        store.resolve_alert(scope, "complaint_rate", now)
        return False
    rate = f"{complaints * 100 / sends:.2f}%" if sends else "no recorded sends"
    alerts.raise_(
        scope,
        "complaint_rate",
        "complaint_rate",
        f"spam complaints at {rate} of the last 7 days' sends",
        f"{complaints} complaints against {sends} sends since {start:%Y-%m-%d %H:%M} UTC "
        f"(threshold {threshold}%); the complainers are suppressed. Look at what was sent to "
        "them (`steward suppression list --reason complaint`) before sending more.",
        now,
        "error",
    )
    return True


def kill_switch_alert(scope: TenantScope, alerts: Alerts, now: datetime, describe: str) -> bool:
    """Tell the tenant's people a kill switch was turned on (`steward killswitch on`, `steward
    tenant disable`); never throttled, each turn-on notifies. A global switch is announced by
    calling this once per tenant. True when the alert is new."""
    return alerts.raise_(
        scope,
        "kill_switch",
        "kill_switch",
        "kill switch on: Steward has stopped acting",
        describe,
        now,
        "critical",
        throttle=False,
    )


def tenant_of_alert(db: Database, alert_id: int) -> str:
    """Alert ids are unique across tenants: find whose it is, one tenant scope at a time (row-level
    security shows each scope only its own), so `steward alert ack ID` needs no --tenant."""
    for tenant in db.tenants():
        with db.for_tenant(tenant.slug) as scope:
            if store.get(scope, alert_id) is not None:
                return tenant.slug
    raise store.AlertError(f"no alert {alert_id}")


def _sent_between(scope: TenantScope, start: datetime, end: datetime) -> int:
    return int(
        scope.scalar(
            scope.select(sa.func.count())
            .select_from(outbox)
            .where(outbox.c.status == "sent", outbox.c.sent_at > start, outbox.c.sent_at <= end)
        )
    )
