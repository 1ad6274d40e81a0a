"""The planner, goal pace and reflection on plain data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd

from agent.engagement import contact_clocks, stats
from agent.goals import pace
from agent.planner import PlanInputs, plan
from agent.reflection import changes, hints, summary

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # 24 of 30 days gone: 78% of the month


def inputs(overdue: int = 3, budget: int = 2, behind: bool = False, thin: bool = False,
           requests: list | None = None) -> PlanInputs:
    contacts = pd.DataFrame(
        [(n, f"c{n}@x.example", f"Name{n}" if n else None, 1, NOW - timedelta(days=30 + n))
         for n in range(overdue)],
        columns=["id", "email", "first_name", "account_id", "created_at"],
    ).assign(last_touch_at=None, last_outbound_at=None, last_outbound_type=None,
             last_outbound_by=None, last_inbound_at=None)
    deals = pd.DataFrame(columns=["contact_id", "account_id", "stage", "amount"])
    clocks = contact_clocks(contacts, deals, NOW)
    goal = pace(NOW, 10, 0, 100 if behind else None, None)
    return PlanInputs(NOW, clocks, stats(clocks), budget, goal, thin, requests or [])


def test_follow_ups_go_to_the_most_overdue_within_the_budget():
    actions = plan(inputs(overdue=3, budget=2))
    assert [a.target for a in actions] == ["c2@x.example", "c1@x.example"]
    assert all(a.kind == "follow_up" and a.payload["cadence"] == "engagement" for a in actions)
    assert "past the engagement touch" in actions[0].reason
    assert actions[0].idempotency_key == "follow_up:c2@x.example:engagement:never"


def test_a_contact_without_a_first_name_is_greeted_anyway():
    (action,) = plan(inputs(overdue=1, budget=1))
    assert action.payload["vars"]["first_name"] == "there"


def test_client_requests_become_human_tasks_with_their_evidence():
    requests = [{"signal_id": 7, "evidence": "can you call me Thursday?", "email": "c@x.example"}]
    (task,) = [a for a in plan(inputs(requests=requests)) if a.kind == "create_task"]
    assert task.payload == {"basis": "client_request", "signal_id": 7,
                            "title": "Client asked: can you call me Thursday?"}


def test_research_only_when_follow_ups_are_done_and_needed():
    assert not [a for a in plan(inputs(overdue=2, behind=True)) if a.kind == "research"]
    assert not [a for a in plan(inputs(overdue=0)) if a.kind == "research"]
    (research,) = [a for a in plan(inputs(overdue=0, behind=True)) if a.kind == "research"]
    assert "behind on orders" in research.reason
    assert research.idempotency_key.endswith("2026-11-24")
    assert [a.kind for a in plan(inputs(overdue=0, thin=True))] == ["research"]


def test_goal_pace():
    on = pace(NOW, 80, 40_000, 100, 50_000)
    assert not on.behind and "80% of target" in on.summary
    behind = pace(NOW, 50, 40_000, 100, 50_000)
    assert behind.behind and "behind on orders" in behind.summary
    assert not pace(NOW, 0, 0, None, None).behind


def test_reflection_compares_hints_and_summarises():
    before = {"compliance_rate": 0.7, "overdue": 30, "queued": 5}
    after = {"compliance_rate": 0.75, "overdue": 20, "queued": 5, "email_budget": 10,
             "awaiting_approval": 2, "planned": 7, "deferred": 0, "blocked": 0}
    assert changes(before, after) == {"compliance_rate": [0.7, 0.75], "overdue": [30, 20],
                                      "awaiting_approval": [None, 2], "deferred": [None, 0],
                                      "blocked": [None, 0]}
    text = hints({**after, "orders_on_hold": 3}, "dry_run", 0.8, "acme")
    assert any("steward tenant update acme --cap emails_per_hour=N" in h for h in text)
    assert any("steward action list --tenant acme --status awaiting_approval" in h for h in text)
    assert any("steward approve" in h for h in text)
    assert any("3 new order(s) on hold" in h and "`steward order exceptions --tenant acme`" in h
               for h in text)
    assert any("engagement compliance is 75%" in h for h in text)
    blocked = {"suppressed": {"count": 2, "example": "x is suppressed"}}
    assert summary(after, blocked).endswith("blocks: suppressed 2")
