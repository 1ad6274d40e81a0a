"""`steward order list|show|exceptions` on both databases: orders loaded as an importer would,
validated and fixed by the new-order run's own workflow, then read back from the command line;
unknown tenants and orders give one error line; one tenant never sees another's orders."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from resources.database import Database
from resources.mailer import Mailer
from resources.store import schema
from resources.store.records import load_rows
from resources.store.tenants import add_tenant
from services.order_intake import validate_and_fix
from services.orders import validate_new_orders
from tests.cli import steward
from tests.helpers import NOW, clients, clock_at, rows


@pytest.fixture(autouse=True)
def clock():
    """The gate decides the fixes by the clock's hour as well as the `now` it is given."""
    with clock_at(NOW):
        yield


@pytest.fixture
def env(db: Database, steward_env: Path) -> dict[str, str]:
    return {**os.environ, "STEWARD_DATABASE_URL": db.resolved_url()}


def order(number: str, **columns) -> dict:
    """A bill-to URAR order of Good Client that passes every check, changed by `columns`."""
    return {
        "order_number": number,
        "account_name": "Good Client",
        "contact_email": "amy@good.example",
        "product_sku": "URAR",
        "billing_type": "bill",
        "fee_amount": 525,
        "tech_fee": 25,
        "total_amount": 550,
        "property_address": "1 Main St, Springfield",
        "borrower_name": "Bo Rower",
        "borrower_email": "bo@home.example",
        "raw": {"source": "portal", "external_ref": f"VP-{number[-1]}00"},
        "ordered_at": NOW,
        **columns,
    }


def load(db: Database, slug: str, orders: list[dict]) -> None:
    add_tenant(db, slug)
    with db.for_tenant(slug) as scope:
        load_rows(
            scope,
            {
                "accounts": [{"name": "Good Client", "credit_limit": 5000}],
                "products": [
                    {"sku": "URAR", "name": "Full appraisal", "price": 525, "tech_fee": 25}
                ],
                "contacts": [{"email": "amy@good.example", "full_name": "Amy Good"}],
                "orders": orders,
            },
        )


def ids(db: Database, slug: str) -> dict[str, int]:
    return {o["order_number"]: o["id"] for o in rows(db, schema.orders, slug)}


def table(text: str) -> list[list[str]]:
    return [line.split("\t") for line in text.strip().splitlines()]


def test_orders_on_hold_their_exceptions_and_fixes_from_the_cli(
    db: Database, env: dict[str, str], tmp_path: Path
) -> None:
    load(
        db,
        "acme",
        [
            order("ORD-1"),
            order("ORD-2", property_address=None, fee_amount=700, total_amount=725),
            order("ORD-3", total_amount=None),
        ],
    )
    load(db, "beta", [order("ORD-1", borrower_email=None)])
    mailer = Mailer(outbox_dir=str(tmp_path / "outbox"))
    assert validate_and_fix(db, clients(mailer), "acme", NOW)["on_hold"] == 1
    validate_and_fix(db, clients(mailer), "beta", NOW)
    acme = ids(db, "acme")

    listed = table(steward(env, "order", "list", "--tenant", "acme").stdout)
    assert listed[0] == [
        "id",
        "number",
        "external_ref",
        "customer",
        "total",
        "status",
        "checked",
        "open_exceptions",
    ]
    assert [(r[1], r[2], r[3], r[4], r[5], r[7]) for r in listed[1:]] == [
        ("ORD-3", "VP-300", "Good Client", "550.00", "validated", "0"),  # the fix applied
        ("ORD-2", "VP-200", "Good Client", "725.00", "on_hold", "2"),
        ("ORD-1", "VP-100", "Good Client", "550.00", "validated", "0"),
    ]
    assert {r[6] for r in listed[1:]} == {f"{NOW:%Y-%m-%dT%H:%MZ}"}
    held = table(steward(env, "order", "list", "--tenant", "acme", "--status", "on_hold").stdout)
    assert [r[1] for r in held[1:]] == ["ORD-2"]

    shown = steward(env, "order", "show", "--tenant", "acme", str(acme["ORD-2"])).stdout
    assert "status: on_hold" in shown and "customer: Good Client" in shown
    assert "contact: amy@good.example" in shown and "external_ref: VP-200" in shown
    assert "line: URAR Full appraisal: fee 700.00, tech fee 25.00, total 725.00" in shown
    assert "exception missing_property_address: error, open (found " in shown
    assert ": no property address" in shown
    assert "exception price_off_catalog: warning, open" in shown
    assert "catalog price 525.00 of URAR" in shown
    assert shown.index("missing_property_address") < shown.index("price_off_catalog")

    fixed = steward(env, "order", "show", "--tenant", "acme", str(acme["ORD-3"])).stdout
    assert "exceptions: none" in fixed
    assert (
        "fix recompute_total: total_amount - -> 550.00 (no total given: fee 525.00 + tech fee "
        "25.00): delivered"
    ) in fixed

    open_ones = table(steward(env, "order", "exceptions", "--tenant", "acme").stdout)
    assert open_ones[0] == ["order", "number", "rule", "severity", "status", "detected", "reason"]
    assert [(r[0], r[1], r[2], r[3], r[4]) for r in open_ones[1:]] == [
        (str(acme["ORD-2"]), "ORD-2", "missing_property_address", "error", "open"),
        (str(acme["ORD-2"]), "ORD-2", "price_off_catalog", "warning", "open"),
    ]
    warnings = steward(env, "order", "exceptions", "--tenant", "acme", "--severity", "warning")
    assert [r[2] for r in table(warnings.stdout)[1:]] == ["price_off_catalog"]

    # the address arrives and the order is checked again: its error is resolved, not deleted
    with db.for_tenant("acme") as scope:
        scope.execute(
            schema.orders.update()
            .where(schema.orders.c.id == acme["ORD-2"])
            .values(property_address="2 Elm St", status="new", validated_at=None)
        )
        validate_new_orders(scope, NOW)
    still = table(steward(env, "order", "exceptions", "--tenant", "acme", "--open").stdout)
    assert [r[2] for r in still[1:]] == ["price_off_catalog"]
    every = table(steward(env, "order", "exceptions", "--tenant", "acme", "--all").stdout)
    assert sorted((r[2], r[4]) for r in every[1:]) == [
        ("missing_property_address", "resolved"),
        ("price_off_catalog", "open"),
    ]
    again = steward(env, "order", "show", "--tenant", "acme", str(acme["ORD-2"])).stdout
    assert f"exception missing_property_address: error, resolved {NOW:%Y-%m-%dT%H:%MZ}" in again

    beta = table(steward(env, "order", "exceptions", "--tenant", "beta").stdout)
    assert [(r[1], r[2]) for r in beta[1:]] == [("ORD-1", "missing_borrower_contact")]


def test_unknown_tenant_order_or_severity_is_one_error_line(
    db: Database, env: dict[str, str]
) -> None:
    load(db, "acme", [order("ORD-1")])
    load(db, "beta", [order("ORD-1")])
    acme_order = ids(db, "acme")["ORD-1"]

    unknown = steward(env, "order", "list", "--tenant", "nope", ok=False)
    assert "unknown tenant 'nope'" in unknown.stderr
    missing = steward(env, "order", "show", "--tenant", "acme", "999", ok=False)
    assert "no order 999 for tenant acme" in missing.stderr
    other = steward(env, "order", "show", "--tenant", "beta", str(acme_order), ok=False)
    assert f"no order {acme_order} for tenant beta" in other.stderr
    bad = steward(env, "order", "exceptions", "--tenant", "acme", "--severity", "fatal", ok=False)
    assert "unknown severity 'fatal'" in bad.stderr
    assert steward(env, "order", "show", "--tenant", "nope", "1", ok=False).returncode == 1
