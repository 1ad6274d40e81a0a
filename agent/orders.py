"""Order validation: pricing, credit approval and requirements, with safe auto-fixes.

Every new order is checked the way the office checks it by hand. What can be corrected without
changing what anybody agreed to is fixed and recorded (a missing total computed from fee and
tech fee, a rounding difference, a missing tech fee defaulted from the catalog or the tenant's
setting); everything else becomes an exception with a severity — `error` holds the order until
a person looks, `warning` asks for a look — and a reason that names the numbers.

Values arrive from vendor portals and email, so nothing is trusted to be a number: missing,
NaN, infinite or text amounts are exceptions of their own, never a crash.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

CENT = Decimal("0.01")
ROUNDING = Decimal("0.02")
MAX_AMOUNT = Decimal("1e10")  # the money columns hold 12 digits, 2 after the point
FIXABLE = ("tech_fee", "total_amount")  # the only fields a safe fix may change


@dataclass(frozen=True)
class Fix:
    field: str
    old: str | None
    new: str
    rule: str
    reason: str


@dataclass(frozen=True)
class Problem:
    rule: str
    severity: str  # error | warning
    reason: str


@dataclass
class OrderCheck:
    order_id: int
    order_number: str
    fixes: list[Fix] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)


@dataclass(frozen=True)
class Product:
    price: Decimal
    tech_fee: Decimal


@dataclass(frozen=True)
class Account:
    active: bool
    credit_limit: Decimal
    outstanding_balance: Decimal


def amount(value: Any) -> Decimal | None | str:
    """A money value, None when absent, or a description of why it is not a number."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return f"{value!r} is not a finite number"
    try:
        number = Decimal(str(value).strip().replace(",", "").lstrip("$"))
    except InvalidOperation:
        return f"{value!r} is not a number"
    if not number.is_finite():
        return f"{value!r} is not a finite number"
    if abs(number) >= MAX_AMOUNT:
        return f"{value!r} is beyond any order amount"
    return number.quantize(CENT)


def validate(
    order: dict[str, Any],
    catalog: dict[str, Product],
    account: Account | None,
    price_tolerance_pct: float = 5.0,
    default_tech_fee: Decimal = Decimal("0"),
) -> OrderCheck:
    check = OrderCheck(order["id"], order["order_number"])
    prices = _pricing(order, catalog, price_tolerance_pct, default_tech_fee, check)
    if order.get("billing_type") == "bill":
        _credit(account, prices, check)
    _requirements(order, check)
    return check


def _pricing(order, catalog, tolerance, default_tech_fee, check: OrderCheck) -> Decimal | None:
    """Returns the order's total as it will stand after the fixes (None when unknown)."""
    values = {name: amount(order.get(name)) for name in ("fee_amount", "tech_fee", "total_amount")}
    for name, value in values.items():
        if isinstance(value, str):
            check.problems.append(Problem(f"invalid_{name}", "error", f"{name}: {value}"))
    fee, tech, total = (v if not isinstance(v, str) else None for v in values.values())
    product = catalog.get(order.get("product_sku") or "")
    if fee is None:
        if not isinstance(values["fee_amount"], str):
            check.problems.append(Problem("missing_fee", "error", "the order has no fee"))
    elif fee <= 0:
        check.problems.append(Problem("fee_not_positive", "error", f"fee {fee} is not above 0"))
    if tech is None and not isinstance(values["tech_fee"], str):
        tech = product.tech_fee if product else default_tech_fee
        check.fixes.append(
            Fix(
                "tech_fee",
                None,
                str(tech),
                "default_tech_fee",
                f"no tech fee given: {'catalog' if product else 'tenant'} default {tech}",
            )
        )
    elif tech is not None and tech < 0:
        check.problems.append(Problem("negative_tech_fee", "error", f"tech fee {tech} is below 0"))
    if fee is not None and tech is not None:
        expected = fee + max(tech, Decimal("0"))
        if total is None and not isinstance(values["total_amount"], str):
            check.fixes.append(
                Fix(
                    "total_amount",
                    None,
                    str(expected),
                    "recompute_total",
                    f"no total given: fee {fee} + tech fee {tech}",
                )
            )
            total = expected
        elif total is not None and total != expected and abs(total - expected) <= ROUNDING:
            check.fixes.append(
                Fix(
                    "total_amount",
                    str(total),
                    str(expected),
                    "recompute_total",
                    f"total {total} is a rounding away from {fee} + {tech}",
                )
            )
            total = expected
    if total is not None and fee is not None and total < fee:
        check.problems.append(
            Problem("total_below_fee", "error", f"total {total} is below the fee {fee}")
        )
    _catalog(order, product, fee, tolerance, check)
    return total


def _catalog(order, product: Product | None, fee, tolerance: float, check: OrderCheck) -> None:
    sku = order.get("product_sku")
    if product is None:
        check.problems.append(
            Problem("unknown_product", "warning", f"product {sku!r} is not in the catalog")
        )
        return
    if fee is None or fee <= 0 or product.price <= 0:
        return
    off = abs(fee - product.price) / product.price * 100
    if off > Decimal(str(tolerance)):
        check.problems.append(
            Problem(
                "price_off_catalog",
                "warning",
                f"fee {fee} is {off:.1f}% from the catalog price {product.price} of {sku} "
                f"(tolerance {tolerance:g}%)",
            )
        )


def _credit(account: Account | None, total: Decimal | None, check: OrderCheck) -> None:
    if account is None:
        check.problems.append(Problem("no_account", "error", "a bill-to order without a client"))
        return
    if not account.active:
        check.problems.append(Problem("inactive_account", "error", "the client is not active"))
        return
    available = account.credit_limit - account.outstanding_balance
    if total is not None and available < total:
        check.problems.append(
            Problem(
                "over_credit_limit",
                "error",
                f"total {total} exceeds the available credit {available} "
                f"(limit {account.credit_limit} - outstanding {account.outstanding_balance})",
            )
        )


def _requirements(order: dict[str, Any], check: OrderCheck) -> None:
    def blank(name: str) -> bool:
        return not str(order.get(name) or "").strip()

    if blank("property_address"):
        check.problems.append(Problem("missing_property_address", "error", "no property address"))
    if blank("borrower_email") and blank("borrower_phone"):
        check.problems.append(
            Problem("missing_borrower_contact", "error", "no borrower email or phone")
        )
    if order.get("inspection_required") and (
        blank("property_contact_name") or blank("property_contact_phone")
    ):
        check.problems.append(
            Problem(
                "missing_property_contact",
                "error",
                "an inspection needs a property contact name and phone",
            )
        )
