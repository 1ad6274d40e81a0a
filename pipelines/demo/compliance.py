"""Demo compliance: the fields the checks verify on every client's profile (most complete, some
missing a W-9, with an expired E&O policy or an unsigned agreement), a quarterly vendor
verification whose period ended ten days ago (its incomplete checks are overdue: the first
cycle escalates them), an annual license check of the lenders falling due in a week (due soon),
and one overdue check a person waived until later this month.

Built from its own random stream, so the rest of the demo is the same with or without it.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

from agent.compliance import DEFAULT_FIELDS, ScheduleSpec, current_due, problems
from resources.database import TenantScope
from resources.store import compliance as store
from resources.store.contacts import set_profile
from services.cadence.advance import calendar_of

LENDERS = "Mortgage Lending"
FLAWS = ("w9_on_file", "eo_insurance_expiry", "signed_agreement", "license_number")


def load_compliance(scope: TenantScope, accounts: list[dict[str, Any]], seed: int,
                    clock: datetime) -> dict[str, int]:
    rng = random.Random(f"{seed}:{scope.tenant.slug}:compliance")
    today = calendar_of(scope).local_date(clock)
    for account in accounts:
        set_profile(scope, "account", account["name"], _profile(rng, today), clock)
    created = clock - timedelta(days=60)
    quarterly = ScheduleSpec(name="Quarterly vendor verification", frequency="quarterly",
                             first_due=today - timedelta(days=10))
    annual = ScheduleSpec(name="Annual license check", frequency="annual",
                          first_due=today + timedelta(days=7), filter={"industry": LENDERS},
                          fields=[f for f in DEFAULT_FIELDS if f.name.startswith("license")])
    ids = [store.add_schedule(scope, spec, "demo", created) for spec in (quarterly, annual)]
    # The quarter's checks were opened with its window, before this demo's first cycle.
    due = current_due(quarterly, today)
    opened = clock - timedelta(days=24)
    entities = store.targets(scope, "account")
    store.add_checks(scope, [{"schedule_id": ids[0], "entity_type": "account",
                              "entity_id": e["id"], "due_on": due, "status": "open",
                              "created_at": opened, "updated_at": opened} for e in entities])
    waived = _waive_one(scope, quarterly, entities, due, today, clock)
    return {"compliance_schedules": len(ids), "compliance_waived": waived}


def _profile(rng: random.Random, today: date) -> dict[str, Any]:
    later = today + timedelta(days=rng.randrange(120, 700))
    profile = {"license_number": f"CR{rng.randrange(100000, 999999)}",
               "license_expiry": later.isoformat(),
               "eo_insurance_expiry": (today + timedelta(days=rng.randrange(60, 400))).isoformat(),
               "w9_on_file": (today - timedelta(days=rng.randrange(30, 900))).isoformat(),
               "signed_agreement": True}
    roll = rng.random()
    if roll < 0.35:
        flaw = rng.choice(FLAWS)
        profile[flaw] = ((today - timedelta(days=rng.randrange(5, 90))).isoformat()
                         if flaw == "eo_insurance_expiry" else None)
    return {k: v for k, v in profile.items() if v is not None}


def _waive_one(scope: TenantScope, spec: ScheduleSpec, entities: list[dict], due: date,
               today: date, clock: datetime) -> int:
    """The first account whose quarterly check cannot pass gets a waiver until month's end."""
    checks = {c["entity_id"]: c for c in store.live_checks(scope)}
    for entity in entities:
        if problems(entity["profile"], spec.fields, today) and entity["id"] in checks:
            store.update_checks(scope, [{
                "id": checks[entity["id"]]["id"], "status": "waived", "waived_by": "demo: owner",
                "waived_until": today + timedelta(days=20),
                "note": "renewal in progress, the broker confirmed by phone"}], clock)
            return 1
    return 0
