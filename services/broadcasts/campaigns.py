"""A campaign's life as a person drives it: create (refused with one line when its segment,
template or schedule cannot work), approve (a person, never Steward), start (the audience is
frozen), pause, resume, cancel, and where it stands.

A pause takes back the campaign's queued mail no dispatcher has picked up (outbox `pending` ->
`paused`) and a resume gives exactly those rows back, under the same keys: nothing is queued
again, so nothing can go twice. Mail already handed to a dispatcher finishes; a cancel skips
the rest with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from agent.broadcast import Segment, Stats, Template, can
from resources.database import TenantScope
from resources.mailer.broadcast import render_recipient, template_problem
from resources.mailer.render import RenderError
from resources.store import broadcasts as store
from resources.store.broadcasts import BroadcastError
from resources.store.suppressions import reasons

STEWARD = "steward"  # who pauses a campaign whose rates crossed the tenant's limits


def create_campaign(scope: TenantScope, name: str, segment: dict[str, Any],
                    template: dict[str, Any], by: str, now: datetime,
                    starts_at: datetime | None = None, batch_size: int | None = None
                    ) -> tuple[int, int]:
    """The draft's id, and how many the segment selects now that have an address."""
    name = name.strip()
    if not name or len(name) > 120:
        raise BroadcastError("a campaign needs a name of 1 to 120 characters")
    seg = _valid(Segment, segment, "segment")
    tpl = _valid(Template, template, "template").model_dump()
    problem = template_problem(tpl)
    if problem:
        raise BroadcastError(f"invalid template: {problem}")
    size = batch_size or scope.tenant.settings.broadcasts.batch_size
    if size < 1:
        raise BroadcastError(f"the batch size must be at least 1, got {size}")
    reachable = [r for r in _audience(scope, seg, now) if r["address"]]
    if not reachable:
        raise BroadcastError(f"the segment selects nobody with an address ({seg.describe()})")
    try:
        render_recipient(scope.tenant, tpl, reachable[0]["vars"], reachable[0]["address"], "check")
    except RenderError as exc:
        raise BroadcastError(f"invalid template: {exc}") from exc
    campaign_id = store.create(scope, {
        "name": name, "status": "draft", "segment": seg.model_dump(mode="json"),
        "template": tpl, "starts_at": starts_at, "batch_size": size, "pace_size": size,
        "created_by": by, "created_at": now, "updated_at": now})
    return campaign_id, len(reachable)


def _valid(model: type, data: dict[str, Any], what: str):
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or what
        raise BroadcastError(f"invalid {what}: {where}: {first['msg']}") from None


def _audience(scope: TenantScope, segment: Segment, now: datetime) -> list[dict[str, Any]]:
    from services.broadcasts.audience import audience  # pandas only when a segment is read

    return audience(scope, segment, now)


def campaign(scope: TenantScope, name_or_id: str | int) -> dict[str, Any]:
    found = store.find(scope, name_or_id)
    if found is None:
        raise BroadcastError(f"no campaign {name_or_id!r} (see `steward broadcast list`)")
    return found


def _move(scope: TenantScope, row: dict[str, Any], verb: str, now: datetime, **values: Any):
    refused = can(row["status"], verb)
    if refused:
        raise BroadcastError(f"campaign {row['name']!r}: {refused}")
    if not store.change(scope, row["id"], (row["status"],), now, **values):
        raise BroadcastError(f"campaign {row['name']!r} changed meanwhile; try again")


def approve(scope: TenantScope, name: str, by: str, now: datetime) -> dict[str, Any]:
    """A person approves the exact campaign (bulk mail is never automatic)."""
    by = by.strip()
    if not by or by.lower() == STEWARD:
        raise BroadcastError("a campaign is approved by a person: pass --by with your name")
    row = campaign(scope, name)
    _move(scope, row, "approve", now, status="approved", approved_by=by, approved_at=now,
          note=None)
    return campaign(scope, row["id"])


def start(scope: TenantScope, name: str | int, by: str, now: datetime) -> Stats:
    """Freeze the audience and let the cycle send it. A contact the segment selects who is
    suppressed now is kept as skipped, with the reason; suppressions are checked again when
    each batch is queued and when each message goes."""
    row = campaign(scope, name)
    _move(scope, row, "start", now, status="running", started_at=now,
          note=f"started by {by}")
    rows = _audience(scope, Segment.model_validate(row["segment"]), now)
    suppressed = reasons(scope, {r["address"] for r in rows if r["address"]})
    for r in rows:
        if r["address"] in suppressed:
            r.update(status="skipped", reason=f"suppressed: {r['address']} is suppressed "
                                              f"({suppressed[r['address']]})")
        r["updated_at"] = now
    store.freeze(scope, row["id"], rows)
    return store.stats(scope, row["id"])


def pause(scope: TenantScope, name: str | int, by: str, why: str, now: datetime) -> int:
    """Returns how many queued messages were held back."""
    row = campaign(scope, name)
    _move(scope, row, "pause", now, status="paused", paused_at=now, paused_by=by,
          note=f"paused by {by}: {why}")
    return store.hold_mail(scope, row["id"], "paused", "pending", f"campaign paused: {why}", now)


def resume(scope: TenantScope, name: str | int, by: str, now: datetime) -> int:
    """Returns how many held messages are due again."""
    row = campaign(scope, name)
    _move(scope, row, "resume", now, status="running", paused_at=None, paused_by=None,
          note=f"resumed by {by}")
    return store.hold_mail(scope, row["id"], "pending", "paused", None, now)


def cancel(scope: TenantScope, name: str | int, by: str, why: str, now: datetime) -> int:
    """Returns how many recipients will not get the campaign."""
    row = campaign(scope, name)
    reason = f"campaign cancelled by {by}: {why}"
    _move(scope, row, "cancel", now, status="cancelled", ended_at=now, note=reason)
    held = sum(store.hold_mail(scope, row["id"], "cancelled", was, reason, now)
               for was in ("pending", "paused"))
    return held + store.skip_pending(scope, row["id"], reason, now)


@dataclass(frozen=True)
class Progress:
    campaign: dict[str, Any]
    stats: Stats

    def line(self) -> str:
        c, s = self.campaign, self.stats
        skipped = ", ".join(f"{k} {v}" for k, v in sorted(s.skipped.items())) or "none"
        return (f"{c['name']} [{c['status']}]: sent {s.sent} / remaining {s.pending} of "
                f"{s.audience}; skipped {sum(s.skipped.values())} ({skipped}); failed {s.failed};"
                f" bounce {s.bounce_pct}%, unsubscribe {s.rate(s.unsubscribed)}%, complaint "
                f"{s.complaint_pct}%, reply {s.rate(s.replied)}%")


def progress(scope: TenantScope, name: str | int, now: datetime) -> Progress:
    row = campaign(scope, name)
    store.refresh(scope, row["id"], now)
    return Progress(row, store.stats(scope, row["id"]))
