"""Configuration problems found when live mail is about to go: the owner fixes them, so the mail
waits for the fix instead of failing.

Mail that cannot go because the tenant has no sender address, or because no SMTP server is
configured, fails the same way on every attempt until someone changes a setting. Failing it
loses it for good (a tenant once had 120 follow-ups fail for want of a from address), and
counting its attempts fails it a few minutes later all the same. So the due mail is deferred to
a fixed recheck (agent.retry.CONFIG_RECHECK) with its attempts untouched, and one alert per
tenant and problem (not one per message) names what to set. The first dispatch pass that finds
the configuration complete resolves those alerts and sends the mail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from agent.retry import CONFIG_RECHECK
from resources.alerts import Alerts
from resources.database import Database, Tenant
from resources.mailer import Mailer
from resources.mailer.smtp import SmtpConfigError
from resources.store import alerts as alert_store
from resources.store import outbox as box

RULE = "config_problem"
SENDER, SMTP = "sender", "smtp"  # the problems live_mail_problem knows


@dataclass(frozen=True)
class ConfigProblem:
    name: str  # which problem; the alert's dedupe key is `config_problem:<name>`
    what: str  # the problem in a few words, for the alert's title
    reason: str  # the problem in full, left on each waiting row
    fix: str  # what the owner runs or sets

    @property
    def dedupe_key(self) -> str:
        return f"{RULE}:{self.name}"


def live_mail_problem(tenant: Tenant, mailer: Mailer) -> ConfigProblem | None:
    """What keeps the tenant's live mail from going whatever the recipient, found without
    connecting anywhere; None when the configuration is complete."""
    slug, mode = tenant.slug, tenant.settings.send_mode
    if tenant.settings.sender_address is None:
        return ConfigProblem(
            SENDER,
            "no sender address",
            f"no sender address: send mode {mode} sends real mail and tenant {slug} has no "
            "from_address",
            f"steward tenant update {slug} --from-address ADDRESS "
            f"(or --send-mode dry_run to stop sending live)",
        )
    try:
        mailer.target()
    except SmtpConfigError as exc:
        return ConfigProblem(
            SMTP,
            "no usable SMTP server",
            str(exc),
            "set STEWARD_SMTP_URL (smtp://user@host:587) where Steward runs "
            f"(or `steward tenant update {slug} --send-mode dry_run` to stop sending live)",
        )
    return None


def wait_for_configuration(
    db: Database,
    alerts: Alerts,
    tenant: Tenant,
    rows: list[dict[str, Any]],
    problem: ConfigProblem,
    now: datetime,
) -> int:
    """Defer the due live mail to the recheck and raise the problem's alert, in one transaction;
    returns the rows deferred."""
    until, why = now + CONFIG_RECHECK, f"waiting for configuration: {problem.reason}"
    with db.for_tenant(tenant.slug) as scope:
        waiting = box.defer(scope, [r["id"] for r in rows], until, why, now)
        alerts.raise_(
            scope,
            RULE,
            problem.dedupe_key,
            f"live mail waiting: {problem.what}",
            f"{waiting} message(s) are waiting, none is lost: {problem.reason}. Fix: "
            f"{problem.fix}. The mail is checked again every "
            f"{int(CONFIG_RECHECK.total_seconds() // 60)} minutes and goes once it can.",
            now,
            "error",
        )
    return waiting


def configuration_complete(db: Database, tenant: Tenant, now: datetime) -> None:
    """Live mail is going again: close the problems' alerts, so a new problem notifies at once."""
    with db.for_tenant(tenant.slug) as scope:
        for name in (SENDER, SMTP):
            alert_store.resolve_alert(scope, f"{RULE}:{name}", now)
