"""`steward order list|show|exceptions`: the orders the validation held, and why.

The cycle and the new-order sensor say how many orders went on hold; these commands show which
ones, what each check found (rule, severity, the reason naming the numbers) and what became of
the safe fixes the gate was given. They only read: an exception is settled by correcting the
order, and the next check resolves it.
"""

from __future__ import annotations

from typing import Any

import typer

from pipelines.cli.common import CliError, out, ready_database, utc_minute
from resources.store import orders as store

app = typer.Typer(no_args_is_help=True, help="Orders: list, show, exceptions.")

SEVERITIES = ("error", "warning")


@app.command("list")
def list_orders(
    tenant: str = typer.Option(..., "--tenant"),
    status: str = typer.Option(
        None, "--status", help="new, validated, on_hold, in_progress, delivered, ..."
    ),
    limit: int = typer.Option(50, "--limit"),
) -> None:
    """The tenant's newest orders, one tab-separated line each: `checked` is when validation ran
    (`pending`: not yet; the status says whether it passed), `open_exceptions` what it found."""
    with ready_database().for_tenant(tenant) as scope:
        rows = store.listing(scope, status, limit)
    header = ("id", "number", "external_ref", "customer", "total", "status", "checked")
    print("\t".join((*header, "open_exceptions")))
    for r in rows:
        fields = (
            str(r["id"]),
            r["order_number"],
            (r["raw"] or {}).get("external_ref") or "-",
            _customer(r),
            _money(r["total_amount"]),
            r["status"],
            utc_minute(r["validated_at"]) if r["validated_at"] else "pending",
            str(r["open_exceptions"]),
        )
        print("\t".join(fields))


@app.command("show")
def show(
    order_id: int = typer.Argument(..., metavar="ID"),
    tenant: str = typer.Option(..., "--tenant"),
) -> None:
    """One order: its fields, its line, its exceptions (open or resolved) and what became of
    its safe fixes (the gate's decision, then the delivery that applies it)."""
    with ready_database().for_tenant(tenant) as scope:
        order = store.detail(scope, order_id)
        if order is None:
            raise CliError(f"no order {order_id} for tenant {tenant} (see `steward order list`)")
        problems = store.exceptions_of(scope, order_id)
        fixes = store.fixes_of(scope, order["order_number"])
    raw = order["raw"] or {}
    fields = {
        "id": order["id"],
        "number": order["order_number"],
        "external_ref": raw.get("external_ref"),
        "source": raw.get("source"),
        "status": order["status"],
        "checked": utc_minute(order["validated_at"]) if order["validated_at"] else "pending",
        "customer": _customer(order),
        "contact": order["contact_email"],
        "billing": order["billing_type"],
        "ordered": utc_minute(order["ordered_at"]),
        "delivered": utc_minute(order["delivered_at"]) if order["delivered_at"] else None,
        "property": order["property_address"],
        "borrower": ", ".join(
            v
            for v in (order["borrower_name"], order["borrower_email"], order["borrower_phone"])
            if v
        ),
        "inspection": "required" if order["inspection_required"] else None,
        "property_contact": ", ".join(
            v for v in (order["property_contact_name"], order["property_contact_phone"]) if v
        ),
    }
    for name, value in fields.items():
        if value:
            out.print(f"{name}: {value}", highlight=False)
    product = " ".join(v for v in (order["product_sku"], order["product_name"]) if v) or "-"
    out.print(
        f"line: {product}: fee {_money(order['fee_amount'])}, tech fee "
        f"{_money(order['tech_fee'])}, total {_money(order['total_amount'])}",
        highlight=False,
    )
    if not problems:
        out.print("exceptions: none", highlight=False)
    for p in problems:
        since = f"resolved {utc_minute(p['resolved_at'])}" if p["resolved_at"] else p["status"]
        out.print(
            f"exception {p['rule']}: {p['severity']}, {since} (found "
            f"{utc_minute(p['detected_at'])}): {p['reason']}",
            highlight=False,
        )
    for f in fixes:
        payload = f["payload"] or {}
        change = f"{payload.get('field')} {payload.get('old') or '-'} -> {payload.get('new')}"
        # once queued, the delivery is what tells whether the fix was applied
        outcome = f["delivery"] or f"{f['status']} ({f['decision_reason']})"
        if f["last_error"]:
            outcome += f": {f['last_error']}"
        out.print(
            f"fix {payload.get('rule')}: {change} ({f['reason']}): {outcome}", highlight=False
        )


@app.command("exceptions")
def exceptions(
    tenant: str = typer.Option(..., "--tenant"),
    open_only: bool = typer.Option(
        True, "--open/--all", help="Only the open ones (default), or resolved ones too."
    ),
    severity: str = typer.Option(None, "--severity", help=", ".join(SEVERITIES)),
    limit: int = typer.Option(100, "--limit"),
) -> None:
    """Exceptions across the tenant's orders, errors first, one tab-separated line each; an
    error holds its order until the order is corrected and checked again."""
    if severity and severity not in SEVERITIES:
        raise CliError(f"unknown severity {severity!r}: choose one of {', '.join(SEVERITIES)}")
    with ready_database().for_tenant(tenant) as scope:
        rows = store.exceptions(scope, open_only, severity, limit)
    print("\t".join(("order", "number", "rule", "severity", "status", "detected", "reason")))
    for r in rows:
        fields = (
            str(r["order_id"]),
            r["order_number"],
            r["rule"],
            r["severity"],
            r["status"],
            utc_minute(r["detected_at"]),
            r["reason"],
        )
        print("\t".join(fields))


def _customer(order: dict[str, Any]) -> str:
    return order["account_name"] or order["contact_name"] or order["contact_email"] or "-"


def _money(value: Any) -> str:
    return "-" if value is None else f"{value:.2f}"
