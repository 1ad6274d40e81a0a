"""The recommendations the hourly plan proposes: each open one becomes its action, keyed to
the recommendation so the gate decides it once; one the ledger already holds (an earlier cycle
proposed it) is marked proposed and left to the gate's decision."""

from __future__ import annotations

from datetime import datetime

from agent.actions import Action, action_key
from resources.database import TenantScope
from resources.store import insights as store

PRIORITY = 60  # above routine check-ins (50 + rank), below client requests (80)


def recommended_actions(scope: TenantScope, decided: frozenset[str],
                        now: datetime) -> list[Action]:
    proposals, settled = [], {}
    for row in store.open_recommendations(scope):
        spec = row["action"]
        key = action_key(spec["kind"], spec["target"], f"insight:{row['strategy_key']}")
        if key in decided:
            settled[row["strategy_key"]] = key
            continue
        proposals.append(Action(kind=spec["kind"], target=spec["target"],
                                payload=spec["payload"], reason=spec["reason"],
                                priority=PRIORITY, idempotency_key=key))
    store.mark_proposed(scope, settled, now)
    return proposals
