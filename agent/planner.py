"""Plan: from what the cycle gathered about a tenant to the actions it proposes this hour.

The planner proposes; the gate decides. It still proposes with judgement, so the ledger reads
like a sensible day's work rather than a flood of deferrals: follow-ups go to the contacts the
engagement engine ranks first, only as many as the hour's email budget allows; every open client
request for a person becomes a human task with its evidence; research is proposed once a day
and only when the follow-up list is done and the goals or the pipeline call for it. Order fixes
and what the cadence engines propose come first, and their mail counts against the budget.

Each action's idempotency key names what makes it the same action: a follow-up is keyed to the
contact's last touch, so rerunning an hour proposes the very same actions and the gate does
nothing twice; the next hour skips follow-ups an earlier cycle already proposed and moves on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from agent.actions import EMAIL_KINDS, Action, action_key
from agent.engagement import OVERDUE, EngagementStats, next_to_touch
from agent.goals import Pace
from agent.policy import address_of


@dataclass
class PlanInputs:
    hour: datetime
    clocks: pd.DataFrame
    stats: EngagementStats
    email_budget: int
    pace: Pace
    pipeline_thin: bool
    requests: list[dict] = field(default_factory=list)
    passed_on: list[Action] = field(default_factory=list)
    suppressed: frozenset[str] = frozenset()
    decided: frozenset[str] = frozenset()  # follow-up keys earlier cycles already proposed


def plan(inputs: PlanInputs) -> list[Action]:
    """What the engines and the order check pass on comes first: a deal's or a quote's
    follow-up answers a business question and is also the contact's engagement touch, so the
    engagement check-ins fill the email budget that is left, and skip the contacts an engine
    writes to this hour. A campaign's batch takes its share of the budget first (a person
    approved it, and agent/broadcast.py leaves it at most half)."""
    passed = list(inputs.passed_on)
    mail = [a for a in passed if a.kind in EMAIL_KINDS]
    batches = sum(int(a.payload.get("size", 0)) for a in passed if a.kind == "broadcast_batch")
    actions = passed + follow_ups(inputs, max(0, inputs.email_budget - len(mail) - batches),
                                  {address_of(a.target) for a in mail})
    actions += human_tasks(inputs.requests)
    research = research_action(inputs)
    if research is not None:
        actions.append(research)
    return actions


def follow_ups(inputs: PlanInputs, budget: int, written: set[str]) -> list[Action]:
    """The best-ranked due contacts whose follow-up for this touch period no earlier cycle has
    decided already (it is queued, waiting, deferred or blocked: the gate owns it now), so a
    dry run that never touches anyone still moves down the list hour by hour; at most `budget`
    of them, none to the addresses in `written`."""
    ranked = next_to_touch(inputs.clocks, len(inputs.clocks),
                           exclude=set(inputs.suppressed) | written)
    actions: list[Action] = []
    for row in ranked.itertuples():
        if len(actions) >= budget:
            break
        since = "never" if pd.isna(row.last_touch_at) else f"{row.last_touch_at:%Y-%m-%d}"
        key = action_key("follow_up", row.email, f"engagement:{since}")
        if key in inputs.decided:
            continue
        if row.status == OVERDUE:
            why = f"{row.days_overdue} day(s) past the engagement touch (last: {since})"
        else:
            why = f"engagement touch due by {row.next_due_at:%Y-%m-%d} (last: {since})"
        first_name = row.first_name if isinstance(row.first_name, str) and row.first_name else None
        actions.append(
            Action(
                kind="follow_up",
                target=row.email,
                payload={
                    "cadence": "engagement",
                    "contact_id": int(row.id),
                    "vars": {"first_name": first_name or "there"},
                },
                reason=why,
                priority=min(99, 50 + int(row.priority // 2)),
                idempotency_key=key,
            )
        )
    return actions


def human_tasks(requests: list[dict]) -> list[Action]:
    """Each open request for a person (detected in the client's mail) becomes one task."""
    return [
        Action(
            kind="create_task",
            target=r.get("email"),
            payload={
                "basis": "client_request",
                "signal_id": int(r["signal_id"]),
                "title": f"Client asked: {r['evidence'][:120]}",
            },
            reason=f"the client asked for a person: {r['evidence'][:200]}",
            priority=80,
            idempotency_key=action_key("create_task", r.get("email"), f"signal:{r['signal_id']}"),
        )
        for r in requests
    ]


def research_action(inputs: PlanInputs) -> Action | None:
    if inputs.stats.overdue or inputs.stats.due_soon > inputs.email_budget:
        return None
    if not (inputs.pace.behind or inputs.pipeline_thin):
        return None
    why = inputs.pace.summary if inputs.pace.behind else "the pipeline is thin"
    return Action(
        kind="research",
        target="new prospects",
        payload={"why": why},
        reason=f"follow-ups are done and {why}",
        priority=30,
        idempotency_key=action_key("research", "new prospects", f"{inputs.hour:%Y-%m-%d}"),
    )
