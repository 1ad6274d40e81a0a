"""What a demo data set is made of: its size, its tenants, and the price catalog they sell from.

Kept apart from the generators so the row builder, the file writers and the loader agree on one
description of each tenant without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

Row = dict[str, Any]  # one generated row; links to other rows are natural keys, not ids

FIRST_TENANTS: tuple[tuple[str, str, str], ...] = (
    ("acme-appraisals", "Acme Appraisals", "America/New_York"),
    ("harbor-inspections", "Harbor Inspections", "America/Chicago"),
    ("summit-valuations", "Summit Valuations", "America/Denver"),
)
EXTRA_TIMEZONES = ("America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles")

# (sku, name, price, tech fee, needs a property inspection)
CATALOG: tuple[tuple[str, str, str, str, bool], ...] = (
    ("URAR-1004", "Uniform Residential Appraisal Report (1004)", "525.00", "25.00", True),
    ("CONDO-1073", "Individual Condominium Appraisal (1073)", "550.00", "25.00", True),
    ("MULTI-1025", "Small Residential Income Property (1025)", "750.00", "35.00", True),
    ("EXTERIOR-2055", "Exterior-Only Inspection Appraisal (2055)", "375.00", "15.00", True),
    ("DESK-REVIEW", "Desk Review", "175.00", "0.00", False),
    ("FIELD-REVIEW", "Field Review (2000)", "325.00", "15.00", True),
    ("INSPECTION-FULL", "Full Home Inspection", "450.00", "20.00", True),
    ("FINAL-1004D", "Completion Report / Final Inspection (1004D)", "150.00", "10.00", True),
)


@dataclass(frozen=True)
class DemoSize:
    """How much to generate; per tenant except `tenants` itself."""

    tenants: int = 3
    accounts: int = 25
    contacts: int = 120
    products: int = 8
    orders: int = 60
    deals: int = 30
    quotes: int = 20
    messages: int = 40
    documents: int = 6

    def __post_init__(self) -> None:
        if min(vars(self).values()) < 0:
            raise ValueError(f"demo sizes cannot be negative: {self}")
        if (self.orders or self.deals or self.quotes) and not self.accounts:
            raise ValueError("orders, deals and quotes need at least one account")
        if self.orders and not self.products:
            raise ValueError("orders need at least one product")


DEFAULT_SIZE = DemoSize()


@dataclass
class DemoSummary:
    """Per-tenant counts of what was written, plus where the files went."""

    tenants: list[dict]


@dataclass(frozen=True)
class TenantSpec:
    """Identity of one demo tenant, derived from its position so reruns hit the same slugs."""

    index: int
    slug: str
    name: str
    timezone: str

    @property
    def domain(self) -> str:
        return f"{self.slug}.example"


def tenant_spec(index: int) -> TenantSpec:
    if index < len(FIRST_TENANTS):
        slug, name, tz = FIRST_TENANTS[index]
    else:
        number = index + 1
        slug, name = f"demo-{number:04d}", f"Demo Appraisals {number:04d}"
        tz = EXTRA_TIMEZONES[index % len(EXTRA_TIMEZONES)]
    return TenantSpec(index=index, slug=slug, name=name, timezone=tz)


def catalog(count: int) -> list[tuple[str, str, Decimal, Decimal, bool]]:
    """The first `count` catalog entries; sizes beyond the catalog get numbered add-on services."""
    items = [(s, n, Decimal(p), Decimal(t), i) for s, n, p, t, i in CATALOG[:count]]
    for number in range(len(CATALOG) + 1, count + 1):
        price = Decimal(50 + 25 * number).quantize(Decimal("0.01"))
        items.append(
            (f"ADDON-{number:02d}", f"Add-on service {number}", price, Decimal("0.00"), False)
        )
    return items
