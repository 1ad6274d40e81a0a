"""A campaign's batch becomes its recipients' mail, and a throttling provider slows it down.

The gate queued the batch as one outbox row (kind `broadcast_batch`); the dispatcher delivers
it by expanding it here, in one transaction: the batch takes its recipients (the next pending
ones, or those it already took if a crash interrupted an earlier expansion, so an expansion run
twice is the same batch), takes their email slots, checks each address again (invalid,
suppressed, outside an internal_only allowlist: skipped with the reason) and queues one outbox
row per recipient under the key (campaign, recipient). A campaign paused meanwhile keeps its
batch for later; a cancelled or finished one drops it; a batch due on a holiday or outside the
send window waits for the next opening.

When the provider answers a recipient's mail with a 4xx (throttling, a quota), the mail is not
failed: it and the rest of the campaign's queued mail wait (5 minutes, doubling per throttle in
a row, at most an hour) and the next batches are smaller (agent/broadcast.py `throttled`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from agent.broadcast import Pace, recipient_key, throttled
from agent.policy import address_problem, next_window_open, recipient_refusal
from resources.database import Database, Tenant, TenantScope
from resources.database.clock import aware
from resources.mailer.broadcast import render_recipient
from resources.store import broadcasts as store
from resources.store import outbox as box
from resources.store import ratelimit
from resources.store.suppressions import reasons
from services.cadence.advance import calendar_of

MAIL_KIND = "broadcast_email"
BATCH_KIND = "broadcast_batch"
PAUSED_RETRY = timedelta(minutes=15)


def expand_batch(db: Database, tenant: Tenant, row: dict[str, Any], now: datetime) -> dict:
    """The batch row's outcome (what `deliverables.record` writes on it)."""
    payload = row["payload"] or {}
    with db.for_tenant(tenant.slug) as scope:
        campaign = store.find(scope, int(payload["broadcast_id"]))
        if campaign is None or campaign["status"] in ("cancelled", "completed"):
            state = campaign["status"] if campaign else "deleted"
            return {"status": "cancelled", "rule": "campaign_ended",
                    "last_error": f"the campaign is {state}: batch dropped"}
        later = _not_now(scope, campaign, now)
        if later is not None:
            until, why = later
            return {"status": "pending", "not_before": until, "claimed_at": None,
                    "last_error": why}
        number = int(payload["batch"])
        members = store.in_batch(scope, campaign["id"], number)
        if members:  # expanded before, then interrupted: the same batch, queued again
            members = [m for m in members if m["status"] == "queued"]
        else:
            members = _take(scope, campaign, int(payload["size"]), now)
        queued = _queue(scope, campaign, number, members, now)
    skipped = len(members) - queued
    return {"status": "delivered", "provider": "broadcast", "sent_at": now,
            "provider_ref": f"batch {number}: {queued} queued, {skipped} skipped"}


def _not_now(scope: TenantScope, campaign: dict[str, Any], now: datetime):
    if campaign["status"] != "running":
        return now + PAUSED_RETRY, f"campaign {campaign['status']}: the batch waits"
    closed = closed_until(scope, now)
    if closed is not None:
        opens, why = closed
        return opens, f"{why}: the batch waits for {opens:%Y-%m-%d %H:%M}"
    return None


def closed_until(scope: TenantScope, now: datetime) -> tuple[datetime, str] | None:
    """When campaign mail may go again and why not now (not a business day, outside the send
    window), or None when it may go now."""
    calendar = calendar_of(scope)
    today = calendar.local_date(now)
    closed = calendar.closed(today)
    if closed:
        return calendar.opening(calendar.next_open_day(today)), f"not a business day ({closed})"
    opens = next_window_open(now, scope.tenant.settings, ZoneInfo(scope.tenant.timezone))
    return (opens, "outside the send window") if opens is not None else None


def email_left(scope: TenantScope, now: datetime) -> int:
    """Emails the tenant's caps let through in the windows holding `now`."""
    caps = scope.tenant.settings.caps
    used = ratelimit.usage(scope, now)
    return max(0, min(cap - used.get(("email", w), 0) for w, cap in caps.limits("email").items()))


def _take(scope: TenantScope, campaign: dict[str, Any], size: int,
          now: datetime) -> list[dict[str, Any]]:
    """The next pending recipients, as many as the batch and the email caps allow; their
    slots are taken in the same transaction."""
    caps = scope.tenant.settings.caps
    members = store.next_pending(scope, campaign["id"], min(size, email_left(scope, now)))
    if not members:
        return []
    try:
        with scope.conn.begin_nested():
            ratelimit.reserve_counted(
                scope, {("email", w): len(members) for w in caps.limits("email")}, caps, now)
    except ratelimit.Moved:  # another writer took the slots meanwhile: the next batch takes them
        return []
    return members


def _queue(scope: TenantScope, campaign: dict[str, Any], number: int,
           members: list[dict[str, Any]], now: datetime) -> int:
    settings = scope.tenant.settings
    suppressed = reasons(scope, {m["address"] for m in members if m["address"]})
    rows, updates = [], []
    for m in members:
        key = recipient_key(campaign["id"], m["id"])
        refusal = _refusal(m["address"] or "", suppressed, settings)
        if refusal:
            updates.append({"id": m["id"], "status": "skipped", "reason": refusal,
                            "batch": number})
            continue
        updates.append({"id": m["id"], "status": "queued", "outbox_key": key,
                        "batch": number})
        rows.append({
            "idempotency_key": key, "kind": MAIL_KIND, "target": m["address"],
            "payload": render_recipient(scope.tenant, campaign["template"], m["vars"],
                                        m["address"], key),
            "reason": f"campaign {campaign['name']!r}", "rule": "broadcast", "priority": 30,
            "status": "pending", "created_at": now, "updated_at": now})
    box.queue(scope, rows)
    store.update(scope, updates, now)
    return len(rows)


def _refusal(address: str, suppressed: dict[str, str], settings) -> str | None:
    problem = address_problem(address)
    if problem:
        return f"invalid_address: {problem}"
    refused = recipient_refusal(address, suppressed, settings)
    return f"{refused.rule}: {refused.reason}" if refused else None


def throttle(db: Database, tenant: Tenant, row: dict[str, Any], detail: str,
             now: datetime) -> datetime:
    """The provider throttled this recipient's mail: it goes back to pending (the attempt not
    counted: nothing failed), and the campaign's queued mail waits with it. Returns until when."""
    with db.for_tenant(tenant.slug) as scope:
        campaign = store.campaign_of(scope, row["idempotency_key"])
        pace = Pace(campaign["pace_size"], campaign["throttled_until"], campaign["throttles"]) \
            if campaign else Pace(1, None, 0)
        why = f"throttled by the provider: {detail}"[:1000]
        if pace.throttled_until is not None and aware(pace.throttled_until) > now:
            box.put_back(scope, row["id"], aware(pace.throttled_until), why, now)
            return aware(pace.throttled_until)  # the same throttle, seen on another connection
        slower = throttled(pace, now)
        box.put_back(scope, row["id"], slower.throttled_until, why, now)
        if campaign is not None:
            store.change(scope, campaign["id"], (campaign["status"],), now,
                         pace_size=slower.batch_size, throttled_until=slower.throttled_until,
                         throttles=slower.throttles,
                         note=f"slowed until {slower.throttled_until:%H:%M}: {why}")
            store.defer_mail(scope, campaign["id"], slower.throttled_until, why, now)
    return slower.throttled_until
