"""The demo generator: reproducible, idempotent, and covering every case the rules handle."""

from __future__ import annotations

import email
import hashlib
import io
import json
import mailbox
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import docx
import pandas as pd
import pdfplumber
import pytest
import sqlalchemy as sa
from docx.opc.exceptions import PackageNotFoundError
from pdfplumber.utils.exceptions import PdfminerException

from pipelines.demo import DEFECTS, DemoSize, build_tenant_rows, generate_demo
from pipelines.demo.mail_kinds import KINDS
from resources.database import Database
from resources.store import schema

NOW = datetime(2025, 6, 2, 15, tzinfo=UTC)
TABLES = ("accounts", "products", "contacts", "touches", "orders", "deals", "quotes", "documents")
# foreign key column -> (parent table, natural key), so snapshots compare without database ids
LINKS = {"account_id": ("accounts", "name"), "contact_id": ("contacts", "email"),
         "deal_id": ("deals", "title"), "order_id": ("orders", "order_number")}
DEFAULT = DemoSize()
SMALL = DemoSize(tenants=2, accounts=6, contacts=20, orders=12, deals=8, quotes=7, messages=14,
                 documents=4)


@dataclass
class Demo:
    db: Database
    out: Path


def run(tmp: Path, seed: int = 42, size: DemoSize = DEFAULT, db: Database | None = None
        ) -> Demo:
    if db is None:
        tmp.mkdir(parents=True, exist_ok=True)
        db = Database(url=f"sqlite:///{tmp}/app.db")
        db.upgrade()
    generate_demo(db, tmp / "out", size=size, seed=seed, now=NOW)
    return Demo(db, tmp / "out")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    return run(tmp_path_factory.mktemp("demo"))


def utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; they were written as UTC."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def rows(db: Database, slug: str, table: str) -> list[dict[str, Any]]:
    t = schema.metadata.tables[table]
    with db.for_tenant(slug) as scope:
        return [dict(r) for r in scope.execute(scope.select(t).order_by(t.c.id)).mappings()]


def snapshot(demo: Demo) -> dict[str, pd.DataFrame]:
    """Every tenant table as a frame, without ids and timestamps, links as natural keys."""
    frames = {}
    for tenant in demo.db.tenants():
        settings = tenant.settings.model_dump(mode="json")
        settings["mailbox"] = settings["documents_dir"] = None
        frames[tenant.slug] = pd.DataFrame([{"name": tenant.name, "timezone": tenant.timezone,
                                             "settings": json.dumps(settings, sort_keys=True)}])
        keys = {}
        for column, (parent, key) in LINKS.items():
            keys[column] = {r["id"]: r[key] for r in rows(demo.db, tenant.slug, parent)}
        for table in TABLES:
            frame = pd.DataFrame(rows(demo.db, tenant.slug, table))
            for column in frame.columns:
                if column in LINKS:
                    frame[column] = frame[column].map(keys[column])
                elif column in ("raw", "profile"):
                    frame[column] = frame[column].map(lambda v: json.dumps(v, sort_keys=True))
            if table == "documents":
                frame["path"] = [Path(p).relative_to(demo.out).as_posix() for p in frame["path"]]
            frames[f"{tenant.slug}.{table}"] = frame.drop(
                columns=["id", "tenant_id", "created_at", "updated_at"], errors="ignore")
    return frames


def file_hashes(out: Path) -> dict[str, str]:
    return {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.rglob("*")) if p.is_file()}


def seeded(out: Path) -> set[str]:
    """Hashes of the files that depend on the seed (the corrupt ones, the fee schedule and the
    FAQ do not)."""
    fixed = ("/corrupt-", "/fee-schedule.pdf", "/faq.docx")
    return {h for name, h in file_hashes(out).items() if not any(f in name for f in fixed)}


def test_same_seed_same_demo_and_other_seed_differs(demo: Demo, tmp_path: Path) -> None:
    again = run(tmp_path / "again")
    first, second = snapshot(demo), snapshot(again)
    assert first.keys() == second.keys()
    for name in first:
        pd.testing.assert_frame_equal(first[name], second[name], obj=name)
    assert file_hashes(demo.out) == file_hashes(again.out)
    assert len(file_hashes(demo.out)) == 3 * (40 + 10)

    other = run(tmp_path / "other", seed=7)
    assert not snapshot(other)["acme-appraisals.contacts"].equals(first["acme-appraisals.contacts"])
    assert seeded(other.out).isdisjoint(seeded(demo.out))


def test_rerun_replaces_rather_than_duplicates(tmp_path: Path) -> None:
    demo = run(tmp_path, size=SMALL)
    stale = demo.out / "acme-appraisals" / "Maildir" / "new" / "left-over"
    stale.write_bytes(b"x")
    counts = {t: len(rows(demo.db, "acme-appraisals", t)) for t in TABLES}
    run(tmp_path, size=SMALL, db=demo.db)
    assert {t: len(rows(demo.db, "acme-appraisals", t)) for t in TABLES} == counts
    assert [t.slug for t in demo.db.tenants()] == ["acme-appraisals", "harbor-inspections"]
    assert not stale.exists()
    assert len(list((demo.out / "acme-appraisals" / "Maildir" / "new").iterdir())) == 14


def test_loads_and_reloads_on_each_backend(db: Database, tmp_path: Path) -> None:
    """On PostgreSQL this runs as the application role under row-level security, and the
    250-contact batch takes the COPY path."""
    size = DemoSize(tenants=1, accounts=8, contacts=250, orders=20, deals=6, quotes=7,
                    messages=12, documents=2)
    for _ in range(2):
        summary = generate_demo(db, tmp_path / "out", size=size, now=NOW)
    with db.for_tenant("acme-appraisals") as scope:
        assert scope.count(schema.contacts) == 250
        assert scope.count(schema.touches) == summary.tenants[0]["touches"]
        assert scope.count(schema.documents) == 6
        linked = scope.execute(scope.select(sa.func.count()).select_from(schema.orders)
                               .where(schema.orders.c.account_id.is_not(None))).scalar()
    assert linked == 20


def test_rows_only_for_many_tenants(tmp_path: Path) -> None:
    db = Database(url=f"sqlite:///{tmp_path}/app.db")
    db.upgrade()
    size = DemoSize(tenants=5, accounts=5, contacts=12, orders=10, deals=6, quotes=6)
    summary = generate_demo(db, tmp_path / "out", size=size, now=NOW, write_files=False)
    assert [t["slug"] for t in summary.tenants][3:] == ["demo-0004", "demo-0005"]
    assert all(t["contacts"] == 12 and t["messages"] == 0 for t in summary.tenants)
    assert not (tmp_path / "out").exists()
    assert db.tenants()[4].settings.mailbox is None


def test_row_builder_links_by_natural_key() -> None:
    built = build_tenant_rows(0, DEFAULT, 42, NOW)
    assert built == build_tenant_rows(0, DEFAULT, 42, NOW)
    names = {a["name"] for a in built["accounts"]}
    emails = {c["email"] for c in built["contacts"]}
    assert {c["account_name"] for c in built["contacts"]} - names <= {None}
    assert {r["contact_email"] for r in built["orders"] + built["touches"]} - emails <= {None}
    titles = {d["title"] for d in built["deals"]}
    assert {q["deal_title"] for q in built["quotes"]} - titles <= {None}


@pytest.mark.parametrize("slug", ["acme-appraisals", "harbor-inspections", "summit-valuations"])
def test_contacts_cover_the_engagement_rule(demo: Demo, slug: str) -> None:
    contacts = rows(demo.db, slug, "contacts")
    ages = [NOW - utc(c["last_touch_at"]) for c in contacts if c["last_touch_at"]]
    assert any(age > timedelta(days=21) for age in ages)
    assert any(age < timedelta(days=21) for age in ages)
    assert any(c["last_touch_at"] is None and c["email"] for c in contacts)
    assert 1 <= sum(c["email"] is None for c in contacts) <= 2
    latest: dict[int, datetime] = {}
    for touch in rows(demo.db, slug, "touches"):
        when = utc(touch["occurred_at"])
        latest[touch["contact_id"]] = max(latest.get(touch["contact_id"], when), when)
    assert latest == {c["id"]: utc(c["last_touch_at"]) for c in contacts if c["last_touch_at"]}


def broken_rules(order: dict[str, Any], account: dict[str, Any], price: Decimal) -> set[str]:
    """The order rules as the seed documents state them, to check what each order exercises."""
    fee, tech, total = order["fee_amount"], order["tech_fee"], order["total_amount"]
    checks = {
        "fee_not_positive": fee <= 0,
        "total_below_fee": total < fee,
        "negative_tech_fee": tech < 0,
        "price_off_catalog": fee > 0 and abs(fee - price) / price > Decimal("0.05"),
        "missing_property_address": not order["property_address"],
        "missing_borrower_contact": not (order["borrower_email"] or order["borrower_phone"]),
        "missing_property_contact": order["inspection_required"]
        and not order["property_contact_name"],
        "over_credit_limit": order["billing_type"] == "bill" and account["active"]
        and total > account["credit_limit"] - account["outstanding_balance"],
        "inactive_account": not account["active"],
    }
    return {rule for rule, broken in checks.items() if broken}


@pytest.mark.parametrize("slug", ["acme-appraisals", "harbor-inspections", "summit-valuations"])
def test_orders_exercise_every_rule(demo: Demo, slug: str) -> None:
    accounts = {a["id"]: a for a in rows(demo.db, slug, "accounts")}
    prices = {p["sku"]: p["price"] for p in rows(demo.db, slug, "products")}
    orders = rows(demo.db, slug, "orders")
    for order in orders:
        broken = broken_rules(order, accounts[order["account_id"]], prices[order["product_sku"]])
        defect = order["raw"].get("defect")
        assert broken == ({defect} if defect else set()), order["order_number"]
    assert {o["raw"].get("defect") for o in orders} == set(DEFECTS) | {None}
    assert any(a["outstanding_balance"] > a["credit_limit"] for a in accounts.values()
               if a["billing_type"] == "bill")
    delivered = [NOW - utc(o["delivered_at"]) for o in orders if o["status"] == "delivered"]
    assert any(timedelta(days=7) <= age <= timedelta(days=10) for age in delivered)
    assert {o["status"] for o in orders} == {"new", "validated", "in_progress", "delivered"}


@pytest.mark.parametrize("slug", ["acme-appraisals", "harbor-inspections", "summit-valuations"])
def test_deals_and_quotes_cover_the_sales_rules(demo: Demo, slug: str) -> None:
    deals = [d for d in rows(demo.db, slug, "deals") if d["stage"] not in ("won", "lost")]
    stalled = [d for d in deals if NOW - utc(d["last_activity_at"]) > timedelta(days=14)]
    assert any(d["stalled_at"] for d in stalled) and any(not d["stalled_at"] for d in stalled)
    assert len(stalled) < len(deals)
    quotes = rows(demo.db, slug, "quotes")
    assert {q["status"] for q in quotes} == {"draft", "sent", "viewed", "accepted", "rejected",
                                             "expired"}
    waiting = [q for q in quotes if q["status"] in ("sent", "viewed")]
    assert any(q["next_follow_up_at"] and utc(q["next_follow_up_at"]) < NOW for q in waiting)
    assert all(0 <= q["follow_up_count"] <= 4 for q in quotes)
    for quote in waiting:  # follow-ups three days apart, none scheduled after the fourth
        expected = (utc(quote["sent_at"]) + timedelta(days=3 * (quote["follow_up_count"] + 1))
                    if quote["follow_up_count"] < 4 else None)
        assert utc(quote["next_follow_up_at"]) == expected
    assert any(q["deal_id"] for q in quotes)


def read_maildir(path: Path) -> list[EmailMessage]:
    box = mailbox.Maildir(path, create=False)
    return [email.message_from_bytes(box.get_bytes(key), policy=policy.default)
            for key in sorted(box.keys())]


def test_maildir_holds_every_kind_of_mail(demo: Demo) -> None:
    domain = "acme-appraisals.example"
    messages = read_maildir(demo.out / "acme-appraisals" / "Maildir")
    assert len(messages) == 40
    by_kind: dict[str, list[EmailMessage]] = {}
    for msg in messages:
        assert msg["Message-ID"] and msg["Date"] and msg["Subject"]
        assert msg["To"].addresses[0].domain == domain
        by_kind.setdefault(msg["X-Demo-Kind"], []).append(msg)
    assert set(by_kind) == set(KINDS)
    assert len({m["Message-ID"] for m in messages}) == 40
    orders = {o["order_number"] for o in rows(demo.db, "acme-appraisals", "orders")}
    quotes = {q["quote_number"] for q in rows(demo.db, "acme-appraisals", "quotes")}
    assert all(re.search(r"ORD-\d+", m["Subject"])[0] in orders for m in by_kind["order"])
    assert all(re.search(r"Q-\d+", m["Subject"])[0] in quotes for m in by_kind["quote_response"])
    for kind in ("reply", "quote_response", "feedback", "out_of_office"):
        assert all(m["In-Reply-To"].endswith(f"@{domain}>") for m in by_kind[kind])
    ooo = by_kind["out_of_office"][0]
    assert ooo["Auto-Submitted"] == "auto-replied" and "until" in ooo.get_content()
    assert any("linkedin.com/in/" in m.get_body(("plain",)).get_content()
               for m in by_kind["scheduling"])

    dsn = by_kind["bounce"][0]
    assert dsn["From"].addresses[0].username == "MAILER-DAEMON"
    assert dsn.get_content_type() == "multipart/report"
    assert dsn.get_param("report-type") == "delivery-status"
    status = next(p for p in dsn.walk() if p.get_content_type() == "message/delivery-status")
    recipient = status.get_payload()[1]
    assert recipient["Status"] == "5.1.1" and recipient["Final-Recipient"].startswith("rfc822;")

    html = by_kind["html_only"][0]
    assert not html.is_multipart() and html.get_content_type() == "text/html"
    attached = next(by_kind["attachment"][0].iter_attachments())
    assert attached.get_content_type() == "application/pdf"
    with pdfplumber.open(io.BytesIO(attached.get_content())) as pdf:
        assert "Purchase Contract" in pdf.pages[0].extract_text()


def test_documents_open_except_the_corrupt_ones(demo: Demo) -> None:
    folder = demo.out / "acme-appraisals" / "documents"
    stored = rows(demo.db, "acme-appraisals", "documents")
    assert sorted(d["filename"] for d in stored) == sorted(p.name for p in folder.iterdir())
    assert len(stored) == 10
    numbers = {o["id"]: o["order_number"] for o in rows(demo.db, "acme-appraisals", "orders")}
    for document in stored:
        path = Path(document["path"])
        assert document["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert document["size_bytes"] == path.stat().st_size
        if document["filename"] == "corrupt-report.pdf":
            with pytest.raises(PdfminerException), pdfplumber.open(path) as pdf:
                [page.extract_text() for page in pdf.pages]
        elif document["filename"] == "corrupt-letter.docx":
            with pytest.raises(PackageNotFoundError):
                docx.Document(str(path))
        elif document["filename"] in ("fee-schedule.pdf", "faq.docx"):
            assert document["order_id"] is None  # the tenant's own rules, about no order
        elif path.suffix == ".pdf":
            with pdfplumber.open(path) as pdf:
                assert numbers[document["order_id"]] in pdf.pages[0].extract_text()
        else:
            text = "\n".join(p.text for p in docx.Document(str(path)).paragraphs)
            assert numbers[document["order_id"]] in text
    assert sum(d["filename"].endswith(".docx") for d in stored) >= 2


def test_summary_matches_the_database(tmp_path: Path) -> None:
    db = Database(url=f"sqlite:///{tmp_path}/app.db")
    db.upgrade()
    seen: list[tuple[str, int]] = []
    summary = generate_demo(db, tmp_path / "out", size=SMALL, now=NOW,
                            progress=lambda label, n: seen.append((label, n)))
    first = summary.tenants[0]
    with db.for_tenant("acme-appraisals") as scope:
        assert scope.count(schema.contacts) == first["contacts"] == 20
        assert scope.scalar(scope.select(sa.func.count()).select_from(schema.orders)) == 12
    assert first["messages"] == 14 and first["documents"] == 8
    assert Path(first["maildir"]).is_dir() and Path(first["documents_dir"]).is_dir()
    assert [label for label, _ in seen][:3] == ["acme-appraisals: rows", "acme-appraisals: mail",
                                                "acme-appraisals: documents"]
