"""The cycle record: one `agent_runs` row per tenant and hour, numbered per tenant, and its
reflection (one `reflections` row per cycle).

A rerun of the same hour (a retry, a re-execution from the UI, a backfill) finds the hour's row
and works on it again instead of adding a cycle, so the count of cycles is the count of hours.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from resources.database import TenantScope
from resources.store.schema import agent_runs, reflections


def start(scope: TenantScope, hour: datetime, run_id: str, now: datetime) -> dict[str, Any]:
    fresh = {
        "dagster_run_id": run_id,
        "phase": "plan",
        "status": "running",
        "started_at": now,
        "finished_at": None,
        "errors": None,
    }
    existing = get(scope, hour)
    if existing is not None:
        update(scope, existing["id"], **fresh)
        return {**existing, **fresh}
    number = scope.scalar(scope.select(sa.func.coalesce(sa.func.max(agent_runs.c.cycle_number), 0)))
    scope.insert(agent_runs, {"cycle_number": int(number) + 1, "cycle_hour": hour, **fresh})
    return get(scope, hour)


def get(scope: TenantScope, hour: datetime) -> dict[str, Any] | None:
    row = (
        scope.execute(scope.select(agent_runs).where(agent_runs.c.cycle_hour == hour))
        .mappings()
        .first()
    )
    return dict(row) if row else None


def previous(scope: TenantScope, hour: datetime) -> dict[str, Any] | None:
    row = (
        scope.execute(
            scope.select(agent_runs)
            .where(agent_runs.c.cycle_hour < hour, agent_runs.c.status == "completed")
            .order_by(agent_runs.c.cycle_hour.desc())
            .limit(1)
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


def update(scope: TenantScope, run_row_id: int, **values: Any) -> None:
    scope.execute(sa.update(agent_runs).where(agent_runs.c.id == run_row_id).values(**values))


def add_error(scope: TenantScope, run_row_id: int, phase: str, message: str) -> None:
    errors = scope.scalar(scope.select(agent_runs.c.errors).where(agent_runs.c.id == run_row_id))
    update(scope, run_row_id, errors=[*(errors or []), {"phase": phase, "error": message}])


def save_reflection(
    scope: TenantScope, run_row_id: int, hour: datetime, summary: str, **parts: Any
) -> None:
    """The cycle's reflection (changes, metrics, blocked, hints); a rerun of the hour replaces
    it."""
    scope.execute(sa.delete(reflections).where(reflections.c.agent_run_id == run_row_id))
    scope.insert(
        reflections,
        {"agent_run_id": run_row_id, "cycle_hour": hour, "summary": summary, **parts},
    )


def reflection_metrics(scope: TenantScope, run_row_id: int) -> dict[str, Any] | None:
    return scope.scalar(
        scope.select(reflections.c.metrics).where(reflections.c.agent_run_id == run_row_id)
    )
