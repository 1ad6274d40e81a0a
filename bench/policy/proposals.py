"""The proposed actions: weighted scenarios that draw kinds, targets and payloads from a `World`.

It exists so the mix of actions (ordinary follow-ups, suppressed and invalid addresses, tasks with
and without a basis, research, sensitive kinds, unknown kinds) is defined in one place and both
deciders are handed exactly the same list.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from agent.actions import Action, action_key
from bench.policy.world import FIRST, INVALID_TARGETS, LAST, UNKNOWN_KINDS, World


def _case(rng: random.Random, address: str) -> str:
    roll = rng.random()
    if roll < 0.8:
        return address.lower()
    return address if roll < 0.95 else address.upper()


def _task(rng: random.Random, w: World, others: list[World]) -> tuple[str, Any, dict]:
    roll = rng.random()
    if roll < 0.35 and w.open_requests:
        payload: dict[str, Any] = {
            "basis": "client_request",
            "signal_id": rng.choice(w.open_requests),
        }
    elif roll < 0.42 and w.closed_requests:
        payload = {"basis": "client_request", "signal_id": rng.choice(w.closed_requests)}
    elif roll < 0.46 and w.other_signals:
        payload = {"basis": "client_request", "signal_id": rng.choice(w.other_signals)}
    elif roll < 0.49:
        other = rng.choice(others)  # another tenant's open request: not visible here
        payload = {"basis": "client_request", "signal_id": rng.choice(other.open_requests or [0])}
    elif roll < 0.51:
        payload = {"basis": "client_request", "signal_id": str(rng.choice(w.open_requests or [0]))}
    elif roll < 0.53:
        payload = {"basis": "client_request", "signal_id": 987_654_321}
    elif roll < 0.63:
        payload = {"basis": "compliance_due", "compliance_id": rng.choice(sorted(w.compliance_due))}
    elif roll < 0.67:
        payload = {"basis": "compliance_due", "compliance_id": 5}
    elif roll < 0.75:
        payload = {"basis": "safety_escalation", "escalation_reason": "customer threatened legal"}
    elif roll < 0.78:
        payload = {"basis": "safety_escalation", "escalation_reason": "  "}
    elif roll < 0.90:
        payload = {}
    else:
        payload = {"basis": "nice_to_have"}
    return "create_task", rng.choice([None, "Call back about the valuation"]), payload


def _scenarios() -> list[tuple[float, Callable[[random.Random, World, list[World]], tuple]]]:
    def contact(rng: random.Random, w: World, others: list[World]) -> tuple:
        return "follow_up", _case(rng, rng.choice(w.emails)), {"step": rng.randint(1, 4)}

    def customer_email(rng: random.Random, w: World, others: list[World]) -> tuple:
        roll = rng.random()
        payload = {"cadence": "quote"} if roll < 0.4 else {"faq": True} if roll < 0.5 else {}
        return "send_email", _case(rng, rng.choice(w.emails)), payload

    def suppressed(rng: random.Random, w: World, others: list[World]) -> tuple:
        kind = rng.choice(["follow_up", "send_email"])
        return kind, _case(rng, rng.choice(w.suppressed)), {"cadence": "nurture"}

    def invalid(rng: random.Random, w: World, others: list[World]) -> tuple:
        return rng.choice(["follow_up", "send_email"]), rng.choice(INVALID_TARGETS), {}

    def new_address(rng: random.Random, w: World, others: list[World]) -> tuple:
        local = f"{rng.choice(FIRST)}.{rng.choice(LAST)}.new{rng.randint(0, 10**6)}"
        return "follow_up", f"{local}@{rng.choice(w.domains)}", {}

    def customer_facing(rng: random.Random, w: World, others: list[World]) -> tuple:
        return "follow_up", rng.choice(w.emails).lower(), {"customer_facing": True}

    def research(rng: random.Random, w: World, others: list[World]) -> tuple:
        target = rng.choice(w.domains) if rng.random() < 0.97 else None
        return "research", target, {"question": "who buys appraisals there?"}

    def simple(kind: str, target: str) -> Callable[..., tuple]:
        return lambda rng, w, others: (kind, target, {})

    def unknown(rng: random.Random, w: World, others: list[World]) -> tuple:
        return rng.choice(UNKNOWN_KINDS), rng.choice(w.emails), {}

    return [
        (38, contact),
        (14, customer_email),
        (4, suppressed),
        (2, invalid),
        (3, new_address),
        (1, customer_facing),
        (9, _task),
        (8, research),
        (3, simple("social_post", "linkedin")),
        (2, simple("newsletter", "list:customers")),
        (3, simple("seo_change", "https://example.com/appraisals")),
        (1.5, simple("ads_change", "campaign:spring")),
        (2, simple("contact_discovery", "acme.com")),
        (2, simple("order_fix", "ORD-1001")),
        (0.5, simple("payment_change", "ACC-17")),
        (0.5, simple("credit_change", "ACC-17")),
        (0.5, simple("delete_record", "contact:12")),
        (0.5, simple("bulk_update", "contacts")),
        (0.5, simple("broadcast_batch", "list:all")),
        (1, unknown),
    ]


def make_actions(rng: random.Random, worlds: list[World], n: int) -> list[tuple[int, Action]]:
    """(tenant index, action) pairs spread evenly at random over the tenants."""
    scenarios = _scenarios()
    weights = [w for w, _ in scenarios]
    makers = [m for _, m in scenarios]
    out = []
    for k in range(n):
        ti = rng.randrange(len(worlds))
        world = worlds[ti]
        others = [w for w in worlds if w is not world] or [world]
        kind, target, payload = rng.choices(makers, weights)[0](rng, world, others)
        approved = None
        if kind in ("social_post", "newsletter", "send_email", "seo_change") and (
            rng.random() < 0.25
        ):
            approved = "owner@bench"
        out.append(
            (
                ti,
                Action(
                    kind=kind,
                    target=target,
                    payload=payload,
                    reason="bench",
                    idempotency_key=action_key(kind, target, f"bench:{k}"),
                    approved_by=approved,
                ),
            )
        )
    return out
