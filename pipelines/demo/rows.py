"""Pure row building for one demo tenant: accounts, products, contacts and their touches.

Rows are plain dicts keyed by table name, and links between them are natural keys (an account's
name, a contact's email, a deal's title, an order's number) rather than database ids, so the same
rows can be bulk-loaded anywhere — the demo command, a benchmark with a hundred tenants — and
resolved to ids only at load time (see `load.resolve_links`).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal

from faker import Faker

from pipelines.demo.orders import build_orders
from pipelines.demo.randomness import NamePool, days_ago, money, phone, slugify, spread
from pipelines.demo.sales import build_deals, build_quotes
from pipelines.demo.spec import DemoSize, Row, catalog

ACCOUNT_KINDS = (
    ("Mortgage", "Mortgage Lending"), ("Home Loans", "Mortgage Lending"),
    ("Credit Union", "Credit Union"), ("Community Bank", "Banking"),
    ("Valuation Management", "Appraisal Management"), ("Realty Group", "Real Estate Brokerage"),
    ("Law Group", "Law Firm"), ("Title & Escrow", "Title Insurance"),
)
LENDER_TITLES = ("Loan Officer", "Loan Processor", "Underwriter", "Closing Coordinator",
                 "Branch Manager", "Vendor Manager")
TITLES = {"Real Estate Brokerage": ("Realtor", "Broker", "Transaction Coordinator"),
          "Law Firm": ("Attorney", "Paralegal"),
          "Title Insurance": ("Escrow Officer", "Closing Coordinator"),
          "Appraisal Management": ("Vendor Manager", "Review Appraiser", "Operations Director")}
CONTACT_SOURCES = {"import": 5, "manual": 3, "email": 2, "web_form": 1, "referral": 1}
ACCOUNT_ROLES = {"healthy": 15, "prepaid": 5, "tight": 2, "inactive": 2, "over": 1}
# Ages of the last touch, aimed at the 21-day engagement rule and its 3-day "due soon" window.
TOUCH_AGES = {"recent": (0.1, 17.9), "due_soon": (18.0, 20.9), "overdue": (22.0, 90.0)}
TOUCH_BUCKETS = {"recent": 35, "due_soon": 15, "overdue": 35, "never": 15}
TOUCH_TYPES = ("email_out", "email_in", "call", "meeting")
PERSONAL_DOMAINS = ("mailbox.example", "inbox.example", "homemail.example")


def build_tenant_rows(index: int, size: DemoSize, seed: int, now: datetime) -> dict[str, list[Row]]:
    """All database rows of demo tenant `index`, deterministic in (index, size, seed, now)."""
    rng = random.Random(seed + index)
    fake = Faker("en_US")
    fake.seed_instance(seed + index)
    names = NamePool(fake, rng)
    staff = [f"{names.first_name()} {names.last_name()}" for _ in range(3)]
    accounts = build_accounts(rng, fake, names, size.accounts)
    products = build_products(size.products)
    contacts = build_contacts(rng, fake, names, size.contacts, accounts, now)
    orders = build_orders(rng, fake, names, size.orders, accounts, contacts, products, now)
    deals = build_deals(rng, size.deals, accounts, contacts, now)
    return {
        "accounts": accounts,
        "products": products,
        "contacts": contacts,
        "touches": build_touches(rng, contacts, staff),
        "orders": orders,
        "deals": deals,
        "quotes": build_quotes(rng, size.quotes, accounts, contacts, deals, now),
    }


def build_accounts(rng: random.Random, fake: Faker, names: NamePool, count: int
                   ) -> list[Row]:
    """Clients in every credit situation the order rules must judge: healthy, tight, over limit,
    prepaid and inactive."""
    rows: list[Row] = []
    taken: set[str] = set()
    for role in spread(rng, count, ACCOUNT_ROLES):
        suffix, industry = rng.choice(ACCOUNT_KINDS)
        name = f"{rng.choice([names.last_name(), fake.city()])} {suffix}"
        if name in taken:
            name = f"{name} {len(rows) + 1}"
        taken.add(name)
        limit = Decimal(rng.randrange(15, 51) * 1000 if role == "healthy"
                        else rng.randrange(5, 16) * 1000)
        share = {"healthy": (0.0, 0.4), "tight": (0.9, 0.98), "over": (1.02, 1.2),
                 "inactive": (0.0, 0.5), "prepaid": (0.0, 0.0)}[role]
        prepaid = role == "prepaid"
        domain = f"{slugify(name)}.example"
        rows.append({
            "name": name,
            "active": role != "inactive",
            "billing_type": "prepaid" if prepaid else "bill",
            "credit_limit": Decimal("0.00") if prepaid else money(limit),
            "outstanding_balance": money(float(limit) * rng.uniform(*share)),
            "terms": None if prepaid else rng.choice(["net15", "net30", "net30", "net45"]),
            "industry": industry,
            "phone": phone(rng),
            "website": f"https://www.{domain}",
            "address": fake.address().replace("\n", ", "),
            "profile": {"domain": domain},
        })
    return rows


def build_products(count: int) -> list[Row]:
    return [{"sku": sku, "name": name, "price": price, "tech_fee": tech_fee, "active": True}
            for sku, name, price, tech_fee, _ in catalog(count)]


def _unique_email(local: str, domain: str, taken: set[str]) -> str:
    email, n = f"{local}@{domain}", 1
    while email in taken:
        n += 1
        email = f"{local}{n}@{domain}"
    taken.add(email)
    return email


def build_contacts(rng: random.Random, fake: Faker, names: NamePool, count: int,
                   accounts: list[Row], now: datetime) -> list[Row]:
    """People at the clients, with last touches spread around the 21-day engagement line.

    Contacts without an email (known only by phone) are never touched: a touch links to its
    contact through the email, the contact's natural key.
    """
    rows: list[Row] = []
    taken: set[str] = set()
    no_email = set(rng.sample(range(count), 2 if count >= 10 else 1 if count >= 3 else 0))
    buckets = spread(rng, count, TOUCH_BUCKETS)
    for i in range(count):
        first, last = names.first_name(), names.last_name()
        account = rng.choice(accounts) if accounts and rng.random() < 0.9 else None
        domain = account["profile"]["domain"] if account else rng.choice(PERSONAL_DOMAINS)
        local = slugify(f"{first}.{last}").replace("-", ".")
        email = None if i in no_email else _unique_email(local, domain, taken)
        bucket = "never" if email is None else buckets[i]
        rows.append({
            "account_name": account["name"] if account else None,
            "email": email,
            "first_name": first,
            "last_name": last,
            "full_name": f"{first} {last}",
            "phone": phone(rng) if rng.random() < 0.85 else None,
            "title": (rng.choice(TITLES.get(account["industry"] if account else "", LENDER_TITLES))
                      if rng.random() < 0.85 else None),
            "company": account["name"] if account else fake.company(),
            "linkedin_url": (f"https://www.linkedin.com/in/{slugify(f'{first}-{last}')}-{i}"
                             if rng.random() < 0.4 else None),
            "address": None,
            "source": rng.choice([k for k, w in CONTACT_SOURCES.items() for _ in range(w)]),
            "provenance": None,
            "last_touch_at": (None if bucket == "never"
                              else days_ago(rng, now, *TOUCH_AGES[bucket])),
        })
    return rows


def build_touches(rng: random.Random, contacts: list[Row], staff: list[str]) -> list[Row]:
    """One to three touches per touched contact; the newest is exactly the contact's last touch."""
    rows: list[Row] = []
    for contact in contacts:
        moment = contact["last_touch_at"]
        if moment is None:
            continue
        for _ in range(rng.randint(1, 3)):
            kind = rng.choice(TOUCH_TYPES)
            by_whom = ("agent" if kind == "email_in" or (kind == "email_out" and rng.random() < 0.7)
                       else f"human:{rng.choice(staff)}")
            rows.append({
                "contact_email": contact["email"],
                "account_name": contact["account_name"],
                "touch_type": kind,
                "occurred_at": moment,
                "by_whom": by_whom,
                "source_key": f"demo:touch:{len(rows) + 1}",
            })
            moment = (moment - timedelta(days=rng.uniform(5, 40))).replace(second=0, microsecond=0)
    return rows
