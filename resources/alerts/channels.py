"""Where an alert notification goes: the log, the tenant's alert email, and a chat webhook.

Alert notifications go only to the tenant's own people: its `alert_email`, its `alert_webhook`
(or the operator's webhook), never to a customer. They are therefore not stopped by the kill
switches, which exist to stop the agent acting on the outside world: an alert that a kill switch
was turned on must still reach the people who need to know. The mailer's own switches still hold:
dry_run writes an .eml instead of sending and STEWARD_EMAIL_SEND_DISABLED stops SMTP.

A channel never raises: what it did ("ok", "sent", "dry_run: PATH", "skipped: ...",
"failed: ...") is returned for the alert row, and one broken channel does not silence the others.
"""

from __future__ import annotations

import email.policy
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlparse

from resources.database import Tenant
from resources.mailer import Mailer
from resources.mailer.message import message_id
from resources.mailer.render import render, sender
from resources.mailer.resource import SEND_DISABLED_ENV
from resources.store.alerts import StoredAlert

logger = logging.getLogger("steward.alerts")

LEVELS = {
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
    "critical": logging.CRITICAL,
}
COLORS = {"info": "#439FE0", "warning": "warning", "error": "danger", "critical": "danger"}


def deliver(
    tenant: Tenant,
    alert: StoredAlert,
    mailer: Mailer,
    webhook_url: str,
    timeout_s: float,
    now: datetime,
) -> dict[str, str]:
    """Notify on every channel; returns each channel's outcome by name."""
    channels: dict[str, Callable[[], str]] = {
        "log": lambda: log_channel(tenant, alert),
        "email": lambda: email_channel(tenant, alert, mailer, now),
        "webhook": lambda: webhook_channel(tenant, alert, webhook_url, timeout_s),
    }
    outcomes = {}
    for name, send in channels.items():
        try:
            outcomes[name] = send()
        except Exception as exc:  # a broken channel must not stop the others or the caller
            logger.exception("alert channel %s failed for alert %s", name, alert.id)
            outcomes[name] = f"failed: {type(exc).__name__}: {exc}"
    return outcomes


def log_channel(tenant: Tenant, alert: StoredAlert) -> str:
    logger.log(
        LEVELS.get(alert.severity, logging.WARNING),
        "[%s] %s: %s (tenant %s, rule %s, seen %d time(s))",
        alert.severity,
        alert.title,
        alert.detail,
        tenant.slug,
        alert.rule,
        alert.occurrences,
    )
    return "ok"


def email_channel(tenant: Tenant, alert: StoredAlert, mailer: Mailer, now: datetime) -> str:
    recipient = tenant.settings.alert_email
    if not recipient:
        return "skipped: no alert_email set"
    msg = alert_message(tenant, alert, recipient, now)
    if tenant.settings.send_mode == "dry_run":
        path = mailer.write_eml(tenant.slug, f"alert-{alert.id}-{alert.notification}", msg)
        return f"dry_run: {path}"
    if mailer.send_disabled():
        return f"skipped: sending disabled ({SEND_DISABLED_ENV})"
    from_address = msg["From"]
    if from_address.endswith(".invalid"):
        return "failed: the tenant has no from_address to send live mail from"
    outcome = mailer.send(msg, from_address, recipient, before_data=lambda: None)
    if outcome.status == "sent":
        return "sent"
    return f"{'unknown' if outcome.status == 'unknown' else 'failed'}: {outcome.detail}"


def alert_message(
    tenant: Tenant, alert: StoredAlert, recipient: str, now: datetime
) -> EmailMessage:
    """The alert as mail; its Message-ID is stable per notification, so a copy is recognisable.

    Built under the SMTP policy (CRLF line ends) because the mailer hands `as_bytes()` to DATA
    as it is, and servers refuse bare LF line ends in a message longer than one line limit.
    """
    variables = {
        "title": alert.title,
        "detail": alert.detail,
        "severity": alert.severity,
        "tenant_name": tenant.name,
        "rule": alert.rule,
        "occurrences": alert.occurrences,
        "last_seen": f"{alert.last_seen_at:%Y-%m-%d %H:%M} UTC",
    }
    subject, text, html = render("alert", variables, unsubscribe=False, signature=None)
    from_address = sender(tenant)
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = from_address
    msg["To"] = recipient
    msg["Subject"] = subject
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = message_id(
        tenant.slug, f"alert:{alert.id}:{alert.notification}", from_address
    )
    msg["X-Steward-Alert"] = alert.rule
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    return msg


def webhook_channel(tenant: Tenant, alert: StoredAlert, url: str, timeout_s: float) -> str:
    if not url:
        return "skipped: no webhook configured"
    if urlparse(url).scheme not in ("http", "https"):
        return "failed: webhook URL must be http:// or https://"
    request = urllib.request.Request(
        url,
        data=json.dumps(slack_payload(tenant, alert)).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout_s):
            return "ok"
    except urllib.error.HTTPError as exc:
        return f"failed: {exc.code}"
    except urllib.error.URLError as exc:
        return f"failed: {exc.reason}"
    except OSError as exc:  # timeouts and resets while reading the reply
        return f"failed: {type(exc).__name__}: {exc}"


def slack_payload(tenant: Tenant, alert: StoredAlert) -> dict[str, Any]:
    """Slack's incoming-webhook shape, which Mattermost, Rocket.Chat and others accept too."""
    return {
        "text": f"[Steward {alert.severity}] {alert.title} ({tenant.name})",
        "attachments": [
            {
                "color": COLORS.get(alert.severity, "warning"),
                "title": alert.title,
                "text": alert.detail,
                "fields": [
                    {"title": "Tenant", "value": tenant.name, "short": True},
                    {"title": "Rule", "value": alert.rule, "short": True},
                    {"title": "Severity", "value": alert.severity, "short": True},
                    {"title": "Occurrences", "value": str(alert.occurrences), "short": True},
                ],
                "ts": int(alert.last_seen_at.timestamp()),
            }
        ],
    }
