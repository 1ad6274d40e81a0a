"""A demo tenant's registration: safe settings and a fresh tenant row. Its records are loaded
by resources/store/records.py."""

from __future__ import annotations

from agent.settings import BroadcastSettings, FeedbackSettings, TenantSettings
from pipelines.demo.spec import TenantSpec
from resources.database import Database, UnknownTenantError
from resources.store.tenants import add_tenant, get_tenant, remove_tenant


def demo_settings(spec: TenantSpec, maildir: str | None, documents_dir: str | None
                  ) -> TenantSettings:
    """Safe settings for a demo tenant: nothing leaves the machine, mail stays in its domain
    (it is sent from the tenant's own office address, so replies thread on its domain)."""
    return TenantSettings(
        send_mode="dry_run",
        allowlist=[spec.domain],
        own_addresses=[spec.domain],
        from_address=f"office@{spec.domain}",
        feedback=demo_feedback(spec),
        mailbox=f"maildir://{maildir}" if maildir else None,
        documents_dir=documents_dir,
        alert_email=f"ops@{spec.domain}",
        signature=f"Client Services\n{spec.name}\nhttps://www.{spec.domain}",
        broadcasts=BroadcastSettings(unsubscribe_url=f"https://www.{spec.domain}/unsubscribe"),
    )


def demo_feedback(spec: TenantSpec) -> FeedbackSettings:
    """What positive feedback leads to, tenant by tenant: a review request, a referral request,
    or (the default) nothing, so the demo shows all three."""
    if spec.index % 3 == 0:
        return FeedbackSettings(review_url=f"https://reviews.example/{spec.slug}")
    return FeedbackSettings(referral_requests=spec.index % 3 == 1)


def replace_tenant(db: Database, spec: TenantSpec, settings: TenantSettings) -> None:
    """Drop the tenant if it exists (its rows go by cascade) and register it afresh."""
    try:
        get_tenant(db, spec.slug)
    except UnknownTenantError:
        pass
    else:
        remove_tenant(db, spec.slug)
    add_tenant(db, spec.slug, name=spec.name, timezone=spec.timezone, settings=settings)
