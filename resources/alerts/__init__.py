"""Alerts: stored once per dedupe key (store), delivered to log, email and webhook (channels),
throttled and sent by the `Alerts` resource (service), raised by the built-in rules (rules)."""

from resources.alerts.rules import (
    POLICY_BLOCK_THRESHOLD,
    SendVolume,
    check_policy_block_spike,
    check_send_volume,
    kill_switch_alert,
    recent_blocks,
    record_provider_failure,
)
from resources.alerts.service import Alerts, raise_alert
from resources.alerts.store import resolve_alert

__all__ = [
    "POLICY_BLOCK_THRESHOLD",
    "Alerts",
    "SendVolume",
    "check_policy_block_spike",
    "check_send_volume",
    "kill_switch_alert",
    "raise_alert",
    "recent_blocks",
    "record_provider_failure",
    "resolve_alert",
]
