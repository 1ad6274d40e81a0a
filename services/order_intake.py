"""New orders as the new-order sensor's `orders` run handles them: validated, their safe fixes
put through the gate and, where allowed, applied at once (only order fixes: mail waits for the
cycle and the dispatch schedule). The hourly cycle validates too, so an order the sensor missed
is still checked within the hour."""

from __future__ import annotations

from datetime import datetime

from resources.clients import Clients
from resources.database import Database
from services.dispatch import dispatch_tenant
from services.gate import propose
from services.orders import validate_new_orders


def validate_and_fix(db: Database, clients: Clients, slug: str, now: datetime) -> dict:
    """What the new-order sensor's run does for a tenant: validate, put the fixes through the
    gate, and apply the allowed ones at once (only order fixes: mail waits for the cycle)."""
    with db.for_tenant(slug) as scope:
        result = validate_new_orders(scope, now)
    decided = propose(db, slug, result.fixes, now) if result.fixes else []
    applied = dispatch_tenant(db, clients, slug, now, kinds=("order_fix",))
    return {
        "checked": result.checked,
        "validated": result.clean,
        "on_hold": result.on_hold,
        "fixes_proposed": len(decided),
        "fixes_applied": applied.counts.get("delivered", 0),
        "problems": ", ".join(f"{k} {v}" for k, v in sorted(result.problems.items())) or "-",
    }
