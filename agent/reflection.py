"""Reflect: what changed since the last cycle, what was blocked and why, hints for next hour.

The reflection is written for the owner reading it the next morning: metric movements as
before → after, blocks grouped by rule with one example reason each, and hints that name a
setting or a command when the fix is a person's call.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

TRACKED = (
    "compliance_rate",
    "overdue",
    "due_soon",
    "unreachable",
    "orders_on_hold",
    "client_requests",
    "queued",
    "deferred",
    "blocked",
    "awaiting_approval",
    "sent",
    "filed",
    "failed",
    "delivery_unknown",
    "new_suppressions",
    "replies",
)


def changes(before: dict[str, Any] | None, after: dict[str, Any]) -> dict[str, list]:
    """Tracked metrics that moved, as {metric: [before, after]}; all of them the first time."""
    before = before or {}
    return {
        k: [before.get(k), after.get(k)]
        for k in TRACKED
        if k in after and before.get(k) != after.get(k)
    }


def hints(m: dict[str, Any], send_mode: str, compliance_target: float, tenant: str) -> list[str]:
    """What a person could do about this hour, each naming the full command for `tenant`, so a
    hint copied to a shell runs as it is."""
    out = []
    if m.get("overdue", 0) > m.get("email_budget", 0) and m.get("overdue"):
        out.append(
            f"{m['overdue']} contacts are past their touch but only {m.get('email_budget', 0)} "
            f"follow-up(s) fit this hour: raise the cap (`steward tenant update {tenant} --cap "
            "emails_per_hour=N`), or accept a slower catch-up"
        )
    if m.get("awaiting_approval"):
        out.append(
            f"{m['awaiting_approval']} action(s) wait for a person: `steward action list "
            f"--tenant {tenant} --status awaiting_approval`, then `steward approve ID` or "
            "`steward reject ID --reason ...`"
        )
    if m.get("orders_on_hold"):
        out.append(
            f"{m['orders_on_hold']} new order(s) on hold: see their exceptions with `steward "
            f"order exceptions --tenant {tenant}`"
        )
    if m.get("delivery_unknown"):
        out.append(
            f"a message's delivery is unknown: `steward outbox list --tenant {tenant} --status "
            "delivery_unknown`, check with the recipient, then `steward outbox resolve KEY "
            f"--tenant {tenant} --sent` (or `--resend`)"
        )
    if send_mode == "dry_run" and m.get("queued"):
        out.append(
            f"dry_run: {m['queued']} action(s) queued, mail rendered to .eml files and none "
            f"sent; `steward tenant update {tenant} --send-mode internal_only` tests real "
            "delivery to the allowlist"
        )
    if m.get("compliance_rate") is not None and m["compliance_rate"] < compliance_target:
        out.append(
            f"engagement compliance is {m['compliance_rate']:.0%} (target "
            f"{compliance_target:.0%}): follow-ups are the priority"
        )
    return out


def summary(m: dict[str, Any], blocked: dict[str, dict]) -> str:
    parts = [
        f"planned {m.get('planned', 0)}",
        f"queued {m.get('queued', 0)}",
        f"deferred {m.get('deferred', 0)}",
        f"blocked {m.get('blocked', 0)}",
        f"awaiting approval {m.get('awaiting_approval', 0)}",
    ]
    text = ", ".join(parts)
    if blocked:
        text += "; blocks: " + ", ".join(f"{rule} {b['count']}" for rule, b in blocked.items())
    return text


# Where a delivered row went: these providers keep it inside Steward (a file in the tenant's
# folder, an order fix applied, a task opened); any other provider (SMTP, a webhook) let it leave.
FILED_PROVIDERS = ("dry_run", "file")
APPLIED_PROVIDERS = ("orders", "tasks")


def delivery_outcomes(rows: Iterable[tuple[str, str | None, int]]) -> dict[str, int]:
    """Outbox (status, provider, count) rows as what left the system (`sent`), what was only
    filed (a dry-run .eml, a file deliverable), what was applied inside Steward, and what did
    not get through; a dry run or a file must not read as mail that went out."""
    counts: Counter[str] = Counter()
    for status, provider, n in rows:
        if status in ("sent", "dry_run", "delivered"):
            if provider in FILED_PROVIDERS or status == "dry_run":
                counts["filed"] += n
            elif provider in APPLIED_PROVIDERS:
                counts["applied"] += n
            else:
                counts["sent"] += n
        elif status in ("failed", "delivery_unknown"):
            counts[status] += n
    keys = ("sent", "filed", "applied", "failed", "delivery_unknown")
    return {k: counts[k] for k in keys}
