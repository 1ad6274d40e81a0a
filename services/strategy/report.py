"""What `steward strategy status` and the UI show of a strategy: its latest execution with
metrics, health and recent events, and its tasks in the order they run.

Before a strategy's first start its tasks are the plan, with no status yet, so a person sees
how the items were routed to agents before anything runs.
"""

from __future__ import annotations

from typing import Any

from agent.strategy import propagate, topological_order
from resources.database import TenantScope
from resources.store.schema import execution_events, task_dependencies, tasks
from resources.store.strategies import find, items_of, latest_execution

TASK_COLUMNS = (
    "id",
    "plan_key",
    "kind",
    "title",
    "status",
    "priority",
    "approval_status",
    "attempts",
    "duration_ms",
    "last_error",
)


def status(scope: TenantScope, name_or_id: str | int, events: int = 10) -> dict[str, Any]:
    strategy = find(scope, name_or_id)
    latest = latest_execution(scope, strategy["id"])
    report: dict[str, Any] = {
        "strategy": {k: strategy[k] for k in ("id", "name", "goal", "items")},
        "execution": latest,
        "metrics": latest and latest["metrics"],
        "health": latest and latest["health"],
        "events": [],
        "tasks": _plan(strategy) if latest is None else _tasks(scope, latest["id"]),
    }
    if latest is not None:
        recent = scope.execute(
            scope.select(execution_events)
            .where(execution_events.c.execution_id == latest["id"])
            .order_by(execution_events.c.id.desc())
            .limit(events)
        ).mappings()
        report["events"] = [dict(e) for e in reversed(list(recent))]
    return report


def _plan(strategy: dict[str, Any]) -> list[dict[str, Any]]:
    specs = {spec.key: spec for spec in propagate(items_of(strategy))}
    return [
        {
            "plan_key": key,
            "kind": specs[key].kind,
            "title": specs[key].title,
            "priority": specs[key].priority,
            "status": None,
            "depends_on": list(specs[key].depends_on),
        }
        for key in topological_order(list(specs.values()))
    ]


def _tasks(scope: TenantScope, execution_id: int) -> list[dict[str, Any]]:
    """The execution's tasks by id, which is their topological order (they were created so)."""
    rows = [
        dict(r)
        for r in scope.execute(
            scope.select(*(tasks.c[name] for name in TASK_COLUMNS))
            .where(tasks.c.strategy_execution_id == execution_id)
            .order_by(tasks.c.id)
        ).mappings()
    ]
    keys = {r["id"]: r["plan_key"] for r in rows}
    depends: dict[int, list[str]] = {}
    for task_id, dep in scope.execute(
        scope.select(task_dependencies.c.task_id, task_dependencies.c.depends_on_id)
        .where(task_dependencies.c.task_id.in_(list(keys)))
        .order_by(task_dependencies.c.depends_on_id)
    ):
        depends.setdefault(task_id, []).append(keys.get(dep, str(dep)))
    return [{**r, "depends_on": depends.get(r["id"], [])} for r in rows]
