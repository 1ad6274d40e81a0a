"""The deals engine: open deals that have gone quiet are followed up until the client answers.

Per tenant and hour: a deal's activity clock is its latest touch with the contact that was not
Steward's own mail (their replies, a person's mail from the mailbox, a stage change); a deal with
no activity for its stage's `stalled_after_days` is stalled (`stalled_at`) and enrolled in the
deal follow-up cadence, whose steps follow its stage's interval and maximum, with a firmer
template and a higher priority after three attempts. A reply, a stage change, the deal won or
lost, or the address suppressed stops it; a deal whose auto-follow-up switch is off waits. After
the last step the deal is marked as needing attention for a person (no task is opened: the
policy allows human tasks only on a client's request). A deal in a stage with no configuration
or without a contact address is marked with the reason and left alone.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from agent.actions import Action
from agent.cadence import Cadence, Step
from agent.settings import DealStage
from resources.database import TenantScope
from resources.database.clock import aware
from resources.store import cadences as store
from resources.store.deals import count_follow_ups, open_deals, update_deals
from services.cadence.advance import Advanced, advance
from services.cadence.stops import shared_stops

NAME = "deal_follow_up"
ESCALATE_AFTER = 3  # attempts before the firmer template and priority
KEYS = Cadence(NAME, "deal", ())  # the step keys are the same whatever the stage's steps


def deal_cadence(rule: DealStage) -> Cadence:
    """The first follow-up at once (the deal is already stalled), then every interval."""
    steps = []
    for n in range(1, rule.max_follow_ups + 1):
        urgent = n > ESCALATE_AFTER
        urgency = "final" if urgent and n == rule.max_follow_ups else "firm" if urgent else "normal"
        steps.append(Step(0 if n == 1 else rule.follow_up_every_days,
                          "deal_follow_up_urgent" if urgent else "deal_follow_up", urgency))
    return Cadence(NAME, "deal", tuple(steps))


def deals_engine(scope: TenantScope, hour: datetime) -> Advanced:
    stages = scope.tenant.settings.deal_stages
    by_id = {d["id"]: d for d in open_deals(scope)}
    _mark_unworkable(scope, by_id.values(), stages, hour)
    workable = {i: d for i, d in by_id.items() if d["stage"] in stages and d["email"]}
    _mark_stalled(scope, workable.values(), stages, hour)
    _enroll(scope, workable, hour)
    rows = store.open_enrollments(scope, NAME)
    stops = {**_deal_stops(rows, by_id), **shared_stops(scope, rows)}
    for row in rows:
        deal = by_id.get(row["entity_id"])
        if deal and not deal["auto_follow_up_enabled"] and row["status"] == "active":
            row["status"] = "paused"  # the switch holds the cadence; turning it on resumes it
    done = advance(
        scope,
        lambda row: deal_cadence(stages.get(by_id[row["entity_id"]]["stage"], DealStage())
                                 if row["entity_id"] in by_id else DealStage()),
        rows,
        stops,
        {d["contact_id"]: d["ooo_until"] for d in workable.values() if d["ooo_until"]},
        hour,
        lambda row, step: _follow_up(by_id[row["entity_id"]], row, step),
    )
    _after(scope, done, hour)
    return done


def _mark_unworkable(scope: TenantScope, deals, stages: dict, hour: datetime) -> None:
    changes = []
    for deal in deals:
        why = None
        if deal["stage"] not in stages:
            why = f"stage {deal['stage']!r} has no follow-up configuration (known: " \
                  f"{', '.join(sorted(stages))})"
        elif not deal["email"]:
            why = "no contact address to follow up with"
        if why and deal["needs_attention"] != why:
            changes.append({"id": deal["id"], "needs_attention": why, "needs_attention_at": hour})
    update_deals(scope, changes, hour)


def _mark_stalled(scope: TenantScope, workable, stages: dict[str, DealStage], hour: datetime
                  ) -> None:
    changes = []
    for deal in workable:
        quiet_since = deal["activity"]
        stalled = hour - quiet_since >= timedelta(days=stages[deal["stage"]].stalled_after_days)
        if stalled != (deal["stalled_at"] is not None):
            deal["stalled_at"] = hour if stalled else None
            changes.append({"id": deal["id"], "stalled_at": deal["stalled_at"],
                            "last_activity_at": quiet_since})
    update_deals(scope, changes, hour)


def _enroll(scope: TenantScope, workable: dict[int, dict], hour: datetime) -> None:
    stalled = [d for d in workable.values() if d["stalled_at"] is not None]
    latest = store.latest_rounds(scope, NAME, [d["id"] for d in stalled])
    rows = []
    for deal in stalled:
        last = latest.get(deal["id"])
        if last and (last["status"] in store.OPEN or deal["activity"] <= aware(
                last["started_at"])):
            continue  # still running, or ended with nothing new from the client since it began
        rows.append({"cadence": NAME, "entity_type": "deal", "entity_id": deal["id"],
                     "round": (last["round"] + 1) if last else 1,
                     "contact_id": deal["contact_id"], "address": deal["email"],
                     "started_at": hour})
    store.enroll(scope, rows)


def deal_stops(scope: TenantScope, rows: list[dict[str, Any]]) -> dict[int, str]:
    """The deal's own stop rules for these enrollments (dispatch asks again before sending)."""
    deals = open_deals(scope, sorted({row["entity_id"] for row in rows}))
    return _deal_stops(rows, {d["id"]: d for d in deals})


def _deal_stops(rows: list[dict[str, Any]], by_id: dict[int, dict]) -> dict[int, str]:
    found = {row["id"]: _deal_stop(by_id.get(row["entity_id"]), row) for row in rows}
    return {k: v for k, v in found.items() if v}


def _deal_stop(deal: dict[str, Any] | None, row: dict[str, Any]) -> str | None:
    if deal is None:
        return "the deal is won, lost or gone"
    if deal["activity"] > aware(row["started_at"]):
        return f"activity on the deal at {deal['activity']:%Y-%m-%d %H:%M} UTC"
    return None


def _follow_up(deal: dict[str, Any], row: dict[str, Any], step: int) -> Action:
    return Action(
        kind="follow_up",
        target=row["address"],
        payload={
            "template": "deal_follow_up_urgent" if step > ESCALATE_AFTER else "deal_follow_up",
            "vars": {"first_name": deal["first_name"] or "there", "deal_title": deal["title"]},
            "contact_id": deal["contact_id"],
            "deal_id": deal["id"],
        },
        reason=f"deal {deal['title']!r} ({deal['stage']}) quiet since "
               f"{deal['activity']:%Y-%m-%d}: follow-up {step}",
        priority=60 if step > ESCALATE_AFTER else 50,
        idempotency_key=KEYS.key(row["entity_id"], step, row["round"]),
    )


def _after(scope: TenantScope, done: Advanced, hour: datetime) -> None:
    update_deals(scope, [
        {"id": row["entity_id"], "needs_attention": f"no reply after {why}",
         "needs_attention_at": hour}
        for row, status, why in done.ended if status == "completed"
    ], hour)
    planned = {step["idempotency_key"] for step in done.planned}
    count_follow_ups(scope, [a.payload["deal_id"] for a in done.actions
                             if a.idempotency_key in planned], hour)
