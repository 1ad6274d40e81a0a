"""The benchmark's fixed world: the moment it runs at, the tenant profiles and name lists.

It exists so seeding, action generation and both deciders share one picture of a tenant (the
`World` a seeded tenant is summed up as) and one clock, `NOW`; rate-limit windows come from
agent.policy.window_start, as in the product.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

# A Tuesday afternoon in UTC: inside the send window for tenants in the Americas and Europe,
# outside it for those in Asia, Australia and on the US west coast.
NOW = datetime(2026, 11, 24, 15, 30, tzinfo=UTC)


@dataclass(frozen=True)
class Profile:
    """How one tenant is set up; tenants take the profiles in turn."""

    timezone: str
    settings: dict[str, Any] = field(default_factory=dict)
    engaged: bool = False  # every contact touched within the engagement period
    open_deals: int = 5
    goals_behind: bool = False
    enabled: bool = True
    usage: dict[tuple[str, str], int] = field(default_factory=dict)  # current windows


PROFILES = [
    Profile("UTC", open_deals=8, usage={("email", "hour"): 3, ("email", "day"): 12}),
    Profile(
        "America/New_York",
        engaged=True,
        open_deals=2,
        usage={("research", "hour"): 3, ("email", "hour"): 4, ("email", "day"): 20},
    ),
    Profile("Asia/Tokyo", {"approvals": {"follow_up": "approval"}}, open_deals=6),
    Profile(
        "Europe/Berlin",
        {
            "send_mode": "internal_only",
            "from_address": "office@berlin.example",
            "approvals": {"send_email": "auto"},
        },
        open_deals=3,
    ),
    Profile("America/Los_Angeles", {"send_window": {"weekends": True}}, open_deals=5),
    Profile("Australia/Sydney", enabled=False, open_deals=4),
    Profile(
        "Europe/London",
        engaged=True,
        open_deals=10,
        usage={("email", "hour"): 10, ("social", "day"): 20},
    ),
    Profile("Asia/Kolkata", {"caps": {"newsletters_per_day": 0}}, open_deals=1, goals_behind=True),
    Profile(
        "America/Sao_Paulo",
        engaged=True,
        open_deals=7,
        goals_behind=True,
        usage={("research", "hour"): 5, ("email", "day"): 49},
    ),
    Profile(
        "America/Chicago",
        {"thresholds": {"min_touch_gap_hours": 72}},
        open_deals=2,
        usage={("email", "day"): 50, ("seo", "day"): 5},
    ),
]

FIRST = "anna ben carla dev elena farid grace hugo ines jonas kemal lena mateo nora oskar".split()
LAST = "berg costa diaz evans fischer garcia hansen ito jensen khan lopez meyer novak olsen".split()
COMPANIES = "acme globex initech umbrella stark wayne tyrell cyberdyne soylent hooli".split()
UNICODE_NAMES = [
    ("jürgen", "müller"),
    ("zoë", "brontë"),
    ("søren", "kierkegård"),
    ("élodie", "lefèvre"),
]
TOUCH_TYPES = ["email_out"] * 9 + ["email_in"] * 5 + ["call"] * 3 + ["meeting"] * 2 + ["sms_out"]
OPEN_STAGES = ["lead", "qualified", "proposal", "negotiation"]
INVALID_TARGETS = [
    None,
    "",
    "   ",
    "bob@",
    "not-an-email",
    "a b@acme.com",
    "x@localhost",
    "jo@@acme.com",
    "someone@foo.test",
    "sales@example.invalid",
]
UNKNOWN_KINDS = ["send_sms", "tweet", "Follow_Up", "call_customer", ""]


def tenant_domains(t: int) -> list[str]:
    return [f"{c}-{t}.com" for c in COMPANIES]


@dataclass
class World:
    """What the action generator needs to know about one seeded tenant."""

    slug: str
    tenant_id: int
    profile: Profile
    emails: list[str]
    suppressed: list[str]
    open_requests: list[int]
    closed_requests: list[int]
    other_signals: list[int]
    compliance_due: frozenset[int]
    domains: list[str]
