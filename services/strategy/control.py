"""Start, pause, resume and cancel a strategy's execution.

Starting turns the strategy's L4 items into agent tasks (agent.strategy.propagate), created in
topological order, so each task's dependencies exist before it and the task ids follow the
order the plan runs in. Whose sends wait for a person's approval is agent.strategy's
`execution_type` (email and scheduling, which speak for the business outside it).

Pause and resume change only the execution: the executor takes a strategy's tasks only while
its execution is running, so a paused execution's tasks keep their statuses (no churn in the
task log) and wait, while a task already in progress finishes. Cancel ends the execution and
fails every task not started with "execution cancelled"; tasks in progress are left to finish,
since their handler is running and may already have acted, and their outcome still counts in
the metrics. A command that makes no sense in the execution's state (resuming a cancelled
one) is refused with the state named, as agent.strategy.execution_refusal says.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from agent.strategy import (
    L4Item,
    execution_refusal,
    execution_type,
    propagate,
    route,
    topological_order,
)
from agent.tasks.approach import ApproachDecision
from resources.database import TenantScope
from resources.store import tasks as store
from resources.store.schema import tasks
from resources.store.strategies import (
    StrategyError,
    execution,
    find,
    items_of,
    latest_execution,
    move_execution,
    open_execution,
    record,
)
from services.strategy.monitor import CANCELLED, refresh

NOT_STARTED = ("pending", "queued", "paused", "blocked")
COMMANDS = ("start", "pause", "resume", "cancel")
RESULTS = {  # command: (the execution's new status, the event that tells it)
    "pause": ("paused", "paused"),
    "resume": ("running", "resumed"),
    "cancel": ("cancelled", "cancelled"),
}


def start(scope: TenantScope, name_or_id: str | int, actor: str, now: datetime) -> int:
    """A new execution of the strategy with one task per agent step; returns its id."""
    strategy = find(scope, name_or_id, lock=True)
    latest = latest_execution(scope, strategy["id"])
    if latest is not None and (refusal := execution_refusal(latest["status"], "start")):
        raise StrategyError(
            f"cannot start {strategy['name']!r}: {refusal} (execution {latest['id']})"
        )
    items = {item.id: item for item in items_of(strategy)}
    specs = {spec.key: spec for spec in propagate(list(items.values()))}
    order = topological_order(list(specs.values()))
    execution_id = open_execution(scope, strategy["id"], actor, now)
    ids: dict[str, int] = {}
    for key in order:
        spec, item = specs[key], items[specs[key].item_id]
        ids[key] = store.create(
            scope,
            spec.title,
            now,
            description=item.description or None,
            kind=spec.kind,
            execution_type=execution_type(spec.kind),
            priority=spec.priority,
            requested_by=actor,
            context={"strategy": strategy["name"], "item": item.id, "goal": strategy["goal"]},
            depends_on=[ids[dep] for dep in spec.depends_on],
            decision=ApproachDecision("immediate", _why(strategy["name"], item, spec.kind)),
            strategy_execution_id=execution_id,
            plan_key=key,
            idempotency_key=f"strategy:{execution_id}:{key}",
        )
    detail = f"{len(order)} tasks: {' → '.join(order)}"
    record(scope, execution_id, "started", actor, now, detail, {"order": order})
    refresh(scope, execution_id, now)
    return execution_id


def _why(strategy: str, item: L4Item, kind: str) -> str:
    found = route(item.title, item.description)
    because = (
        f"{found.matched!r} routes it to {' + '.join(found.agents)}"
        if found.matched
        else "no keyword matched, so coordination picks it up"
    )
    return f"the {kind} step of item {item.id!r} of strategy {strategy!r}: {because}"


def pause(
    scope: TenantScope, execution_id: int, actor: str, now: datetime, reason: str = ""
) -> str:
    current = _check(scope, execution_id, "pause")
    return _set(scope, current, "pause", actor, now, reason, "", paused_at=now)


def resume(
    scope: TenantScope, execution_id: int, actor: str, now: datetime, reason: str = ""
) -> str:
    current = _check(scope, execution_id, "resume")
    return _set(scope, current, "resume", actor, now, reason, "", paused_at=None)


def cancel(
    scope: TenantScope, execution_id: int, actor: str, now: datetime, reason: str = ""
) -> str:
    """End the execution: tasks not started fail, tasks in progress finish. Returns a line."""
    current = _check(scope, execution_id, "cancel")
    waiting = scope.execute(
        scope.select(tasks.c.id, tasks.c.status)
        .where(tasks.c.strategy_execution_id == execution_id, tasks.c.status.in_(NOT_STARTED))
        .order_by(tasks.c.id)
    ).all()
    # A task the executor took meanwhile loses the compare-and-set: it is in progress now.
    cancelled = len(
        store.move_many(
            scope,
            [store.Move(row.id, row.status, CANCELLED) for row in waiting],
            "failed",
            "failed",
            actor,
            now,
            data={"reason": reason} if reason else None,
            last_error=CANCELLED,
        )
    )
    running = scope.scalar(
        scope.select(sa.func.count())
        .select_from(tasks)
        .where(tasks.c.strategy_execution_id == execution_id, tasks.c.status == "in_progress")
    )
    outcome = f"{cancelled} task(s) cancelled, {running} in progress left to finish"
    return _set(scope, current, "cancel", actor, now, reason, outcome, finished_at=now)


def _check(scope: TenantScope, execution_id: int, verb: str) -> dict[str, Any]:
    """The execution, locked, or the reason `verb` cannot be given to it now."""
    current = execution(scope, execution_id, lock=True)
    refusal = execution_refusal(current["status"], verb)
    if refusal:
        raise StrategyError(
            f"cannot {verb} execution {execution_id} of {current['strategy']!r}: {refusal}"
        )
    return current


def _set(
    scope: TenantScope,
    current: dict[str, Any],
    verb: str,
    actor: str,
    now: datetime,
    reason: str,
    outcome: str,
    **values: Any,
) -> str:
    status, event = RESULTS[verb]
    move_execution(scope, current, status, now, **values)
    detail = "; ".join(part for part in (outcome, reason) if part) or None
    record(scope, current["id"], event, actor, now, detail, {"reason": reason} if reason else None)
    refresh(scope, current["id"], now)
    line = f"execution {current['id']} of {current['strategy']!r} {status}"
    return f"{line}: {outcome}" if outcome else line


def command(
    scope: TenantScope,
    name_or_id: str | int,
    verb: str,
    actor: str,
    now: datetime,
    reason: str = "",
) -> str:
    """One command on a strategy as the CLI and the Dagster job give it: start a new
    execution, or pause, resume or cancel its latest one. Returns a line saying what happened."""
    if verb not in COMMANDS:
        raise StrategyError(f"unknown command {verb!r}; commands are {', '.join(COMMANDS)}")
    if verb == "start":
        execution_id = start(scope, name_or_id, actor, now)
        return f"execution {execution_id} of {execution(scope, execution_id)['strategy']!r} started"
    strategy = find(scope, name_or_id)
    latest = latest_execution(scope, strategy["id"])
    if latest is None:
        raise StrategyError(f"strategy {strategy['name']!r} has never been started")
    return {"pause": pause, "resume": resume, "cancel": cancel}[verb](
        scope, latest["id"], actor, now, reason
    )
