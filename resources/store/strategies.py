"""Strategies as stored: a named goal with its L4 items, checked before it is kept.

A strategy is checked by the same planner that starts it (agent.strategy.propagate), so a
cycle, a dependency on a missing item or a duplicate id is refused when it is written, with the
reason, and nothing is stored: a broken plan found only at start would waste a person's time
later. Everything that happens to an execution is told in `execution_events`, which the UI and
`steward strategy status` read. This module is the one writer of strategies, their executions,
execution events and health snapshots.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from agent.strategy import L4Item, propagate
from resources.database import TenantScope
from resources.store.schema import (
    execution_events,
    execution_health_snapshots,
    strategies,
    strategy_executions,
)

# The states in which an execution may still run tasks; one strategy has at most one of them.
LIVE = ("running", "paused")


class StrategyError(ValueError):
    """A strategy request that cannot be done, with the reason."""


def define(
    scope: TenantScope, name: str, items: Sequence[L4Item], goal: str | None, now: datetime
) -> int:
    """Store a strategy, or replace the items (and the goal, when one is given) of the one
    with this name; returns its id. A live execution keeps its tasks, so a strategy cannot be
    redefined under it."""
    name = " ".join(name.split())
    if not name or len(name) > 200:
        raise StrategyError("a strategy needs a name of 1 to 200 characters")
    if not items:
        raise StrategyError(f"strategy {name!r} has no items")
    propagate(items)
    stored = [item.model_dump(mode="json") for item in items]
    row = (
        scope.execute(scope.select(strategies).where(strategies.c.name == name).with_for_update())
        .mappings()
        .first()
    )
    if row is None:
        return scope.execute(
            sa.insert(strategies)
            .values(name=name, goal=goal, items=stored, created_at=now, updated_at=now)
            .returning(strategies.c.id)
        ).scalar_one()
    latest = latest_execution(scope, row["id"])
    if latest is not None and latest["status"] in LIVE:
        raise StrategyError(
            f"strategy {name!r} has a {latest['status']} execution ({latest['id']}); "
            "cancel it or let it finish before redefining the strategy"
        )
    scope.execute(
        sa.update(strategies)
        .where(strategies.c.id == row["id"])
        .values(items=stored, goal=row["goal"] if goal is None else goal, updated_at=now)
    )
    return row["id"]


def find(scope: TenantScope, name_or_id: str | int, lock: bool = False) -> dict[str, Any]:
    """A strategy by name, or by id when no strategy has that name."""
    query = scope.select(strategies)
    by_name = query.where(strategies.c.name == str(name_or_id))
    row = scope.execute(by_name.with_for_update() if lock else by_name).mappings().first()
    if row is None and str(name_or_id).isdigit():
        by_id = query.where(strategies.c.id == int(name_or_id))
        row = scope.execute(by_id.with_for_update() if lock else by_id).mappings().first()
    if row is None:
        raise StrategyError(f"no strategy {str(name_or_id)!r} for tenant {scope.tenant.slug}")
    return dict(row)


def items_of(strategy: dict[str, Any]) -> list[L4Item]:
    return [L4Item.model_validate(item) for item in strategy["items"]]


def latest_execution(scope: TenantScope, strategy_id: int) -> dict[str, Any] | None:
    row = (
        scope.execute(
            scope.select(strategy_executions)
            .where(strategy_executions.c.strategy_id == strategy_id)
            .order_by(strategy_executions.c.id.desc())
            .limit(1)
        )
        .mappings()
        .first()
    )
    return dict(row) if row is not None else None


def execution(scope: TenantScope, execution_id: int, lock: bool = False) -> dict[str, Any]:
    """An execution with its strategy's name (as `strategy`); locked for a change when asked,
    so two commands or a command and a refresh take turns."""
    query = (
        scope.select(strategy_executions, strategies.c.name.label("strategy"))
        .join(strategies, strategies.c.id == strategy_executions.c.strategy_id)
        .where(strategy_executions.c.id == execution_id)
    )
    if lock:
        query = query.with_for_update(of=strategy_executions)
    row = scope.execute(query).mappings().first()
    if row is None:
        raise StrategyError(f"no strategy execution {execution_id} for tenant {scope.tenant.slug}")
    return dict(row)


def record(
    scope: TenantScope,
    execution_id: int,
    event: str,
    actor: str,
    now: datetime,
    detail: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    scope.insert(
        execution_events,
        {
            "execution_id": execution_id,
            "event": event,
            "actor": actor[:200],
            "detail": detail,
            "data": data,
            "created_at": now,
        },
    )


def open_execution(scope: TenantScope, strategy_id: int, actor: str, now: datetime) -> int:
    """A new running execution of the strategy; returns its id."""
    return scope.execute(
        sa.insert(strategy_executions)
        .values(
            strategy_id=strategy_id,
            status="running",
            started_by=actor[:200],
            started_at=now,
            created_at=now,
            updated_at=now,
        )
        .returning(strategy_executions.c.id)
    ).scalar_one()


def move_execution(
    scope: TenantScope, current: dict[str, Any], status: str, now: datetime, **values: Any
) -> None:
    """Give the execution `status` (and `values`), compare-and-set on the status it had, so a
    command and the executor's refresh cannot both win; raises StrategyError when it lost."""
    done = scope.execute(
        sa.update(strategy_executions)
        .where(
            strategy_executions.c.id == current["id"],
            strategy_executions.c.status == current["status"],
        )
        .values(status=status, updated_at=now, **values)
    )
    if done.rowcount != 1:
        raise StrategyError(f"execution {current['id']} changed meanwhile; try again")


def save_figures(scope: TenantScope, execution_id: int, **values: Any) -> None:
    """The execution's metrics and health as just computed (and its end, when it ended); the
    caller holds the execution's lock (`execution(..., lock=True)`)."""
    scope.execute(
        sa.update(strategy_executions)
        .where(strategy_executions.c.id == execution_id)
        .values(**values)
    )


def snapshot_health(
    scope: TenantScope, execution_id: int, figures: dict[str, Any], now: datetime
) -> None:
    """A point of the execution's health history, with the metrics it was computed from."""
    scope.insert(
        execution_health_snapshots,
        {
            "execution_id": execution_id,
            "score": figures["health"]["score"],
            "status": figures["health"]["status"],
            "data": {"metrics": figures["metrics"], "health": figures["health"]},
            "created_at": now,
        },
    )
