"""The broadcasts engine: what the hourly cycle does for each tenant's campaigns (the plan's
"broadcasts due").

An approved campaign whose start time has come is started (its audience frozen). A running one
has its recipients brought up to date (sent, bounced, unsubscribed, replied); one whose bounce
or complaint rate crossed the tenant's threshold is paused for a person (the act phase raises
the alert); one with nobody left to send to is completed. Otherwise, once its previous batch is
settled (decided by the gate, queued, and all its mail out), not throttled, on a business day
inside the send window and with email caps left, it proposes its next batch: one
`broadcast_batch` action keyed (campaign, batch number), approved by the campaign's approver,
which the gate decides like any other (the daily batch cap) and the dispatcher expands into the
recipients' mail (services/broadcasts/sending.py).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from agent.actions import Action
from agent.broadcast import Pace, batch_key, batch_size, pause_reason, recovered
from resources.database import TenantScope
from resources.database.clock import aware
from resources.store import broadcasts as store
from resources.store.schema import actions, broadcast_recipients, outbox
from services.broadcasts.campaigns import STEWARD, start
from services.broadcasts.sending import closed_until, email_left
from services.cadence.advance import Advanced

IN_FLIGHT = ("pending", "claimed", "sending", "delivery_unknown", "paused")
# Mail refreshed after a campaign ended: bounces and replies keep arriving for a while.
FOLLOW_UP = timedelta(days=14)


def broadcasts_engine(scope: TenantScope, hour: datetime) -> Advanced:
    every = store.listing(scope, ("approved", "running", "paused", "completed", "cancelled"))
    done = Advanced()
    if not every:  # most tenants: one statement an hour
        return done
    for row in every:
        if row["status"] not in ("approved", "running"):
            if row["ended_at"] is None or aware(row["ended_at"]) > hour - FOLLOW_UP:
                store.refresh(scope, row["id"], hour)
            continue
        if row["status"] == "approved":
            if row["starts_at"] is None or aware(row["starts_at"]) > hour:
                continue
            start(scope, row["id"], "schedule", hour)
            done.counts["started"] += 1
            row = store.find(scope, row["id"])
        action = _running(scope, row, hour, done.counts)
        if action is not None:
            done.actions.append(action)
    return done


def _running(scope: TenantScope, row: dict[str, Any], hour: datetime,
             counts: Counter) -> Action | None:
    store.refresh(scope, row["id"], hour)
    stats = store.stats(scope, row["id"])
    settings = scope.tenant.settings
    paused = pause_reason(stats, settings.broadcasts.bounce_pause_pct,
                          settings.thresholds.complaint_rate_alert_pct)
    if paused:
        if store.change(scope, row["id"], ("running",), hour, status="paused", paused_at=hour,
                        paused_by=STEWARD, note=f"paused by steward: {paused}"):
            store.hold_mail(scope, row["id"], "paused", "pending", f"campaign paused: {paused}",
                            hour)
            counts["paused"] += 1
        return None
    waiting, undecided = _in_flight(scope, row)
    if waiting is None and not undecided and stats.pending == 0:
        store.change(scope, row["id"], ("running",), hour, status="completed", ended_at=hour,
                     note=f"completed: {stats.sent} sent of {stats.audience}")
        counts["completed"] += 1
        return None
    waiting = waiting or _closed(scope, hour) or _throttled(row, hour)
    pace = _pace(row)
    size = batch_size(pace, stats.pending, email_left(scope, hour))
    if waiting is None and size == 0:
        waiting = "the email caps are used up for now"
    if waiting:
        store.change(scope, row["id"], ("running",), hour, note=f"waiting: {waiting}")
        counts["waiting"] += 1
        return None
    number = row["batches"] + (0 if undecided else 1)
    store.change(scope, row["id"], ("running",), hour, batches=number, pace_size=pace.batch_size,
                 throttled_until=None, throttles=pace.throttles, note=f"batch {number} planned")
    counts["proposed"] += 1
    return Action(kind="broadcast_batch", target=f"campaign:{row['name']}"[:300],
                  payload={"broadcast_id": row["id"], "batch": number, "size": size},
                  reason=f"campaign {row['name']!r} batch {number}: {size} of {stats.pending} "
                         "recipients left", priority=40,
                  idempotency_key=batch_key(row["id"], number), approved_by=row["approved_by"])


def _in_flight(scope: TenantScope, row: dict[str, Any]) -> tuple[str | None, bool]:
    """Why the previous batch is not settled yet (or None), and whether the gate never saw it
    (planned in an hour whose act did not run: it is proposed again under its own key)."""
    if row["batches"] == 0:
        return None, False
    key = batch_key(row["id"], row["batches"])
    decided = scope.execute(scope.select(actions.c.status, actions.c.reason)
                            .where(actions.c.idempotency_key == key)).first()
    if decided is None:
        return None, True
    if decided.status != "queued":
        return f"batch {row['batches']} {decided.status}: {decided.reason}", False
    expanded = scope.scalar(scope.select(outbox.c.status).where(outbox.c.idempotency_key == key))
    if expanded in IN_FLIGHT:
        return f"batch {row['batches']} is not queued yet", False
    r = broadcast_recipients
    queued = scope.scalar(scope.select(sa.func.count()).where(
        r.c.broadcast_id == row["id"], r.c.status == "queued"))
    return (f"batch {row['batches']}: {queued} messages still going out" if queued else None,
            False)


def _closed(scope: TenantScope, hour: datetime) -> str | None:
    closed = closed_until(scope, hour)
    return None if closed is None else f"{closed[1]} (opens {closed[0]:%Y-%m-%d %H:%M %Z})"


def _throttled(row: dict[str, Any], hour: datetime) -> str | None:
    until = row["throttled_until"]
    if until is not None and aware(until) > hour:
        return f"the provider throttled it: slowed until {aware(until):%Y-%m-%d %H:%M %Z}"
    return None


def _pace(row: dict[str, Any]) -> Pace:
    """The pace for the next batch: a batch that went out without a throttle since the last
    one was planned lets the size grow back."""
    pace = Pace(row["pace_size"], row["throttled_until"], row["throttles"])
    if row["throttled_until"] is None and row["batches"] > 0:
        return recovered(pace, row["batch_size"])
    return pace
