"""When a person must be told: every alert threshold, and the predicates the alert rules apply.

The rules in services/alerts.py read the figures from the tenant's rows over a window ending at
`now` and ask these functions whether the condition holds, so each number lives here once and a
rerun for the same `now` decides the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

PROVIDER_FAILURE_WINDOW = timedelta(minutes=15)
PROVIDER_FAILURE_THRESHOLD = 5  # failures (any provider, quota included) within the window

SEND_VOLUME_WINDOW = timedelta(hours=1)
SEND_VOLUME_BASELINE = timedelta(days=7)  # the trailing normal, before the last hour
SEND_VOLUME_RATIO = 2.0  # last hour >= 200% of the normal hourly sends
SEND_VOLUME_MIN_SENDS = 10  # fewer sends than this in the last hour is never a spike

POLICY_BLOCK_WINDOW = timedelta(hours=1)
POLICY_BLOCK_THRESHOLD = 10  # blocked actions within the window

MAILBOX_FAILURES_BEFORE_ALERT = 3  # failed syncs in a row

# Spam complaints against sends over this window; the threshold is the tenant's
# complaint_rate_alert_pct (0.1% by default, what Gmail and Yahoo ask of bulk senders).
COMPLAINT_WINDOW = timedelta(days=7)

# A cycle holds its tenant's lock at most this long; a lock older than that belongs to a cycle
# that died, is taken over, and the takeover is an alert (a stuck cycle).
CYCLE_LOCK_TTL = timedelta(minutes=30)


@dataclass(frozen=True)
class SendVolume:
    """The figures behind the send-volume rule, for the caller's metadata."""

    last_hour: int
    normal: float  # mean sends per hour over the baseline
    ratio: float | None  # last_hour / normal; None when the normal is zero
    alerted: bool


def send_volume(last_hour: int, baseline_sends: int) -> SendVolume:
    """A spike is the last hour at twice the normal hourly sends; a tenant with no sends at all
    in the baseline that suddenly sends is unusual too. A handful of sends is never a spike."""
    normal = baseline_sends / (SEND_VOLUME_BASELINE / SEND_VOLUME_WINDOW)
    ratio = last_hour / normal if normal else None
    spike = last_hour >= SEND_VOLUME_MIN_SENDS and (ratio is None or ratio >= SEND_VOLUME_RATIO)
    return SendVolume(last_hour, normal, ratio, spike)


def provider_failures_piling_up(failures: int) -> bool:
    return failures >= PROVIDER_FAILURE_THRESHOLD


def policy_block_spike(blocked: int) -> bool:
    """Many blocks within the hour: the agent proposes what it must not, or a rule is wrong."""
    return blocked >= POLICY_BLOCK_THRESHOLD


def complaint_rate_high(complaints: int, sends: int, threshold_pct: float) -> bool:
    """At least one complaint, at or above the threshold share of the window's sends (with no
    recorded sends, any complaint is: the mail went out some other way or long ago)."""
    return complaints > 0 and complaints * 100 >= threshold_pct * sends


def mailbox_failing(consecutive_failures: int, status: str = "error") -> bool:
    """A revoked grant alerts at once: no retry brings it back, a person must consent again."""
    return status == "revoked" or consecutive_failures >= MAILBOX_FAILURES_BEFORE_ALERT


def mailbox_stalled(
    messages_total: int, last_message_at: datetime | None, now: datetime, stalled_hours: int
) -> bool:
    """A mailbox that used to receive mail and has brought nothing new for `stalled_hours`; one
    that never received anything is new or unused, not stalled."""
    if not messages_total or last_message_at is None:
        return False
    return now - last_message_at > timedelta(hours=stalled_hours)
