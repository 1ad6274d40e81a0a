"""Seeding: fills the scratch database with each profile's contacts, touches and the rest.

It exists to keep the bulk of the data generation (one tenant at a time, as the runtime role under
row-level security) apart from the benchmark itself; it returns the `World` each tenant became.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from agent.policy import window_start
from agent.settings import TenantSettings
from bench.policy.world import (
    COMPANIES,
    FIRST,
    LAST,
    NOW,
    OPEN_STAGES,
    PROFILES,
    TOUCH_TYPES,
    UNICODE_NAMES,
    Profile,
    World,
    tenant_domains,
)
from resources.database import Database
from resources.store import schema
from resources.store.tenants import add_tenant


def seed(app: Database, tenants: int, contacts: int, rng: random.Random) -> list[World]:
    worlds = []
    for t in range(tenants):
        profile = PROFILES[t % len(PROFILES)]
        settings = dict(profile.settings)
        if settings.get("send_mode") == "internal_only":
            settings["allowlist"] = tenant_domains(t)[:2]
        slug = f"policy-bench-{t}"
        tenant = add_tenant(
            app,
            slug,
            timezone=profile.timezone,
            settings=TenantSettings.model_validate(settings),
            agent_enabled=profile.enabled,
        )
        with app.for_tenant(slug) as scope:
            worlds.append(seed_tenant(scope, t, tenant.id, slug, profile, contacts, rng))
    return worlds


def _email(rng: random.Random, t: int, i: int, domains: list[str]) -> str:
    roll = rng.random()
    if roll < 0.01:
        first, last = rng.choice(UNICODE_NAMES)
        return f"{first.capitalize()}.{last.capitalize()}{i}@bäckerei-{t}.de"
    address = f"{rng.choice(FIRST)}.{rng.choice(LAST)}{i}@{rng.choice(domains)}"
    if roll < 0.12:  # as typed into a CRM: capitalized names and domains
        local, _, domain = address.partition("@")
        return f"{local.title()}@{domain.capitalize()}"
    return address


def _days(rng: random.Random, low: float, high: float) -> datetime:
    return NOW - timedelta(days=rng.uniform(low, high))


def seed_tenant(
    scope: Any,
    t: int,
    tenant_id: int,
    slug: str,
    profile: Profile,
    count: int,
    rng: random.Random,
) -> World:
    domains = tenant_domains(t)
    rows, touches_at = [], {}
    for i in range(count):
        email = None if rng.random() < 0.01 else _email(rng, t, i, domains)
        created = _days(rng, 30, 400)
        roll = rng.random()
        if profile.engaged:
            if roll < 0.12:
                last = _days(rng, 0.05, 1.9)  # within the 48 h gap
            elif roll < 0.95:
                last = _days(rng, 2.1, 20.0)
            else:
                last, created = None, _days(rng, 0.5, 15)  # new, not yet touched
        elif roll < 0.10:
            last = _days(rng, 0.05, 1.9)
        elif roll < 0.50:
            last = _days(rng, 2.1, 20.5)
        elif roll < 0.85:
            last = _days(rng, 21.5, 150)  # past the engagement touch
        else:
            last = None
            if rng.random() < 0.2:
                created = _days(rng, 0.5, 15)
        ooo = None
        if email and rng.random() < 0.04:
            ooo = (NOW + timedelta(days=rng.randint(-4, 12))).date()
        rows.append(
            {
                "email": email,
                "first_name": "Bench",
                "last_name": f"Contact {i}",
                "full_name": f"Bench Contact {i}",
                "company": rng.choice(COMPANIES),
                "source": "bench",
                "last_touch_at": last,
                "ooo_until": ooo,
                "created_at": min(created, last) if last else created,
            }
        )
        if email and last:
            touches_at[email] = last
    scope.insert(schema.contacts, rows)
    ids = dict(
        scope.execute(
            scope.select(schema.contacts.c.email, schema.contacts.c.id)
            .where(schema.contacts.c.email.is_not(None))
            .order_by(schema.contacts.c.id)
        ).all()
    )
    emails = list(ids)

    touch_rows = []
    for email, moment in touches_at.items():
        for _ in range(rng.randint(1, 3)):
            touch_rows.append(
                {
                    "contact_id": ids[email],
                    "touch_type": rng.choice(TOUCH_TYPES),
                    "occurred_at": moment,
                    "by_whom": "agent",
                    "source_key": f"bench:touch:{len(touch_rows)}",
                }
            )
            moment -= timedelta(days=rng.uniform(5, 40))
    scope.insert(schema.touches, touch_rows)

    suppressed = rng.sample(emails, len(emails) // 20)
    stored = [rng.choice([e, e, e.lower(), e.upper()]) for e in suppressed]
    extra = [
        f"{box}{k}@{rng.choice(domains)}"
        for k in range(max(2, count // 200))
        for box in ("noreply", "postmaster")
    ]
    reasons = ["unsubscribe", "bounce", "complaint", "manual"]
    scope.insert(
        schema.suppressions,
        [{"email": e, "reason": rng.choice(reasons), "detail": "bench"} for e in stored + extra],
    )

    signal_rows = []
    for _ in range(max(20, count // 100)):
        roll = rng.random()
        kind = "human_request" if roll < 0.7 else rng.choice(["buying_intent", "complaint"])
        signal_rows.append(
            {
                "contact_id": ids[rng.choice(emails)],
                "kind": kind,
                "strength": round(rng.uniform(0.3, 1.0), 2),
                "evidence": "bench: asked for a call back",
                "actioned_at": _days(rng, 0, 10)
                if kind == "human_request" and roll < 0.2
                else None,
            }
        )
    scope.insert(schema.signals, signal_rows)
    sig = scope.execute(
        scope.select(
            schema.signals.c.id, schema.signals.c.kind, schema.signals.c.actioned_at
        ).order_by(schema.signals.c.id)
    ).all()

    deal_rows = [
        {"title": f"Deal {k}", "stage": rng.choice(OPEN_STAGES), "amount": 1000 + k}
        for k in range(profile.open_deals)
    ] + [
        {"title": f"Closed deal {k}", "stage": rng.choice(["won", "lost"]), "amount": 500 + k}
        for k in range(rng.randint(3, 12))
    ]
    scope.insert(schema.deals, deal_rows)

    outbox_rows = []
    statuses = ["pending", "sent", "sent", "dry_run", "failed", "cancelled", "delivery_unknown"]
    for k in range(max(10, count // 50)):
        status = rng.choice(statuses)
        created = _days(rng, 0, 6)
        target = rng.choice(emails) if rng.random() < 0.8 else f"prospect{k}@{rng.choice(domains)}"
        outbox_rows.append(
            {
                "idempotency_key": f"bench:outbox:{k}",
                "kind": rng.choice(["follow_up", "send_email", "follow_up", "social_post"]),
                "target": rng.choice([target, target.lower(), target.upper()]),
                "status": status,
                "sent_at": created + timedelta(minutes=5)
                if status in ("sent", "delivery_unknown")
                else None,
                "created_at": created,
            }
        )
    scope.insert(schema.outbox, outbox_rows)

    zone = ZoneInfo(profile.timezone)
    counter_rows = []
    for (bucket, window), used in profile.usage.items():
        start = window_start(window, NOW, zone).astimezone(UTC)
        before = start - (timedelta(hours=1) if window == "hour" else timedelta(days=1))
        counter_rows.append(
            {"action_kind": bucket, "window": window, "window_start": start, "count": used}
        )
        counter_rows.append(
            {"action_kind": bucket, "window": window, "window_start": before, "count": 99}
        )
    scope.insert(schema.rate_limit_counters, counter_rows)

    return World(
        slug=slug,
        tenant_id=tenant_id,
        profile=profile,
        emails=emails,
        suppressed=stored + extra,
        open_requests=[r.id for r in sig if r.kind == "human_request" and not r.actioned_at],
        closed_requests=[r.id for r in sig if r.kind == "human_request" and r.actioned_at],
        other_signals=[r.id for r in sig if r.kind != "human_request"],
        compliance_due=frozenset({10_000 + t, 20_000 + t}),
        domains=domains,
    )
