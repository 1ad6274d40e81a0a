"""Demo orders: mostly clean, plus a planted share that breaks each order-processing rule once.

Each planted order carries its defect in `raw["defect"]`, so a test can prove that every pricing,
credit and requirements rule has something to catch, and that clean orders pass. A planted order
breaks one rule only, so a rule that fires on it is firing for the right reason.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from faker import Faker

from pipelines.demo.randomness import NamePool, days_ago, money, phone, slugify, spread
from pipelines.demo.spec import CATALOG, Row

DEFECTS = (
    "fee_not_positive", "total_below_fee", "negative_tech_fee", "price_off_catalog",
    "missing_property_address", "missing_borrower_contact", "missing_property_contact",
    "over_credit_limit", "inactive_account",
)
INSPECTION_SKUS = frozenset(sku for sku, *_, inspection in CATALOG if inspection)
CLEAN_STATUSES = {"delivered": 5, "in_progress": 3, "validated": 2, "new": 2}
# Delivered 7-10 days ago is when the feedback request falls due; a delivery dated days ahead
# is the bad input the feedback engine must skip with its reason.
DELIVERY_AGES = {"feedback_due": (7.05, 9.95), "recent": (0.5, 6.5), "old": (11.0, 60.0),
                 "future": (-6.0, -2.0)}
DELIVERY_SHARES = {"feedback_due": 3, "recent": 3, "old": 4, "future": 0.5}
SOURCES = ("vendor_portal", "email", "api")
HEALTHY_CREDIT = Decimal("5000")


@dataclass
class _Sources:
    """What every order of a tenant is drawn from."""

    rng: random.Random
    fake: Faker
    names: NamePool
    accounts: list[Row]
    people: dict[str, list[Row]]  # contacts with an address, by account name
    products: list[Row]
    now: datetime


def available_credit(account: Row) -> Decimal:
    return account["credit_limit"] - account["outstanding_balance"]


def build_orders(rng: random.Random, fake: Faker, names: NamePool, count: int,
                 accounts: list[Row], contacts: list[Row], products: list[Row],
                 now: datetime) -> list[Row]:
    planted = min(count, max(len(DEFECTS), count // 4))
    plan: list[tuple[str | None, str]] = [
        (DEFECTS[i % len(DEFECTS)], "new") for i in range(planted)]
    plan += [(None, s) for s in spread(rng, count - planted, CLEAN_STATUSES)]
    rng.shuffle(plan)
    delivered = sum(1 for _, status in plan if status == "delivered")
    ages = iter(spread(rng, delivered, DELIVERY_SHARES))
    people: dict[str, list[Row]] = {}
    for contact in contacts:
        if contact["email"] and contact["account_name"]:
            people.setdefault(contact["account_name"], []).append(contact)
    sources = _Sources(rng, fake, names, accounts, people, products, now)
    return [_order(sources, f"ORD-{10001 + n}", status, defect,
                   next(ages) if status == "delivered" else None)
            for n, (defect, status) in enumerate(plan)]


def _pick_account(rng: random.Random, accounts: list[Row], defect: str | None,
                  total: Decimal) -> Row:
    """An account whose credit situation matches what the order is meant to test."""
    active_bill = [a for a in accounts if a["active"] and a["billing_type"] == "bill"]
    if defect == "over_credit_limit":
        pool = [a for a in active_bill if available_credit(a) < total]
        if not pool:
            return min(active_bill or accounts, key=available_credit)
    elif defect == "inactive_account":
        pool = [a for a in accounts if not a["active"]]
    else:
        pool = [a for a in accounts if a["active"] and (
            a["billing_type"] == "prepaid" or available_credit(a) >= HEALTHY_CREDIT)]
    return rng.choice(pool or accounts)


def _priced(rng: random.Random, product: Row, defect: str | None) -> tuple[Decimal, ...]:
    """(fee, tech fee, total); clean orders stay within 3% of the catalog, well inside the 5%
    tolerance."""
    price, tech = product["price"], product["tech_fee"]
    fee = price if rng.random() < 0.8 else money(float(price) * rng.uniform(0.97, 1.03))
    if defect == "fee_not_positive":
        fee = rng.choice([Decimal("0.00"), -price])
    elif defect == "price_off_catalog":
        fee = money(float(price) * rng.choice([rng.uniform(0.6, 0.9), rng.uniform(1.1, 1.4)]))
    total = fee + tech
    if defect == "total_below_fee":
        total = fee - money(rng.uniform(25, 100))
    elif defect == "negative_tech_fee":
        # Entered as a "discount" while the total kept the fee: only the tech-fee rule breaks.
        tech = -(tech or Decimal("15.00"))
        total = fee
    return fee, tech, total


def _order(src: _Sources, number: str, status: str, defect: str | None, age: str | None) -> Row:
    rng, fake, names, now = src.rng, src.fake, src.names, src.now
    products = src.products
    inspections = [p for p in products if p["sku"] in INSPECTION_SKUS]
    product = rng.choice(inspections if defect == "missing_property_contact" and inspections
                         else products)
    fee, tech, total = _priced(rng, product, defect)
    account = _pick_account(rng, src.accounts, defect, total)
    people = src.people.get(account["name"])
    contact = rng.choice(people) if people else None
    inspection = product["sku"] in INSPECTION_SKUS
    first, last = names.first_name(), names.last_name()
    has_property_contact = inspection and defect != "missing_property_contact"
    if status == "delivered":
        delivered_at = days_ago(rng, now, *DELIVERY_AGES[age or "recent"])
        ordered_at = delivered_at - timedelta(days=rng.uniform(4, 12))
    else:
        delivered_at = None
        ordered_at = days_ago(rng, now, *{"new": (0.05, 2), "validated": (1, 4),
                                          "in_progress": (3, 14)}[status])
    ordered_at = ordered_at.replace(second=0, microsecond=0)
    raw: Row = {"source": rng.choice(SOURCES), "external_ref": f"VP-{rng.randint(100000, 999999)}",
                "product": product["sku"], "fee": str(fee), "tech_fee": str(tech),
                "total": str(total)}
    if defect:
        raw["defect"] = defect
    no_borrower_contact = defect == "missing_borrower_contact"
    return {
        "order_number": number,
        "account_name": account["name"],
        "contact_email": contact["email"] if contact else None,
        "product_sku": product["sku"],
        "billing_type": account["billing_type"],
        "fee_amount": fee,
        "tech_fee": tech,
        "total_amount": total,
        "status": status,
        "property_address": None if defect == "missing_property_address" else (
            f"{fake.street_address()}, {fake.city()}, {fake.state_abbr()} {fake.zipcode()}"),
        "borrower_name": f"{first} {last}",
        "borrower_email": None if no_borrower_contact else (
            f"{slugify(first + '.' + last).replace('-', '.')}@homemail.example"),
        "borrower_phone": None if no_borrower_contact else phone(rng),
        "inspection_required": inspection,
        "property_contact_name": (f"{names.first_name()} {names.last_name()}"
                                  if has_property_contact else None),
        "property_contact_phone": phone(rng) if has_property_contact else None,
        "raw": raw,
        "ordered_at": ordered_at,
        "delivered_at": delivered_at,
        "validated_at": (None if status == "new"
                         else ordered_at + timedelta(hours=rng.randint(1, 6))),
    }
