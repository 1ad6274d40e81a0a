"""Steward's way: per tenant, read the kill switches and `load_state` once, then `evaluate`.

It exists as the measured side of the benchmark, doing what a cycle does, timed with the state
load counted separately from the in-memory evaluation.
"""

from __future__ import annotations

import time

from agent.actions import Action
from agent.policy import Decision, address_problem, evaluate
from bench.policy.world import NOW, World
from resources.database import Database
from resources.store.policy_state import load_state
from services.killswitch import kill_state


def steward(
    app: Database, worlds: list[World], by_tenant: list[list[tuple[int, Action]]]
) -> tuple[float, float, dict[int, Decision]]:
    """(total seconds, seconds spent loading state, decisions by action index)."""
    address_problem.cache_clear()  # charge this run with every address check
    decisions: dict[int, Decision] = {}
    load = 0.0
    started = time.perf_counter()
    for world, actions in zip(worlds, by_tenant, strict=True):
        loading = time.perf_counter()
        with app.for_tenant(world.slug) as scope:
            state = load_state(
                scope,
                NOW,
                kill_state(app, scope.tenant),
                goals_behind=world.profile.goals_behind,
                compliance_due=world.compliance_due,
            )
        load += time.perf_counter() - loading
        for index, action in actions:
            decisions[index] = evaluate(action, state, NOW)
    return time.perf_counter() - started, load, decisions
