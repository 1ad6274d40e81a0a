"""The `Alerts` resource: store an alert and, unless it is throttled, notify on every channel.

It is registered once in Definitions, with the mailer it sends alert mail through, and handed to
every workflow that raises alerts, so the operator's webhook and SMTP settings reach all of them.

Notification happens inside the caller's transaction, right after the row is claimed: if that
transaction later rolls back, the alert row is gone but the notification went out, which errs on
the side of telling a person.
"""

from __future__ import annotations

import os
from datetime import datetime

import dagster as dg

from resources.alerts.channels import deliver
from resources.database import Tenant, TenantScope
from resources.mailer import Mailer
from resources.store.alerts import record_alert, record_channels

WEBHOOK_ENV = "STEWARD_ALERT_WEBHOOK_URL"


class Alerts(dg.ConfigurableResource):
    """Alert delivery settings; `webhook_url` (or STEWARD_ALERT_WEBHOOK_URL) is the operator's
    chat webhook, used for tenants that have no `alert_webhook` of their own; alert mail goes
    through `mailer` (to .eml files in dry_run)."""

    mailer: Mailer
    webhook_url: str = ""
    timeout_s: float = 5.0

    def webhook_for(self, tenant: Tenant) -> str:
        return tenant.settings.alert_webhook or self.webhook_url or os.environ.get(WEBHOOK_ENV, "")

    def raise_(
        self,
        scope: TenantScope,
        rule: str,
        dedupe_key: str,
        title: str,
        detail: str,
        now: datetime,
        severity: str = "warning",
        throttle: bool = True,
    ) -> bool:
        """Open or count the alert and notify when it is due; True when the alert is new.

        `throttle=False` notifies on every raise, for events rare and serious enough that each
        one must reach a person (a kill switch turned on).
        """
        alert = record_alert(
            scope, rule, dedupe_key, title, detail, now, severity, throttle=throttle
        )
        if alert.notify:
            outcomes = deliver(
                scope.tenant,
                alert,
                self.mailer,
                self.webhook_for(scope.tenant),
                self.timeout_s,
                now,
            )
            record_channels(scope, alert.id, outcomes)
        return alert.new
