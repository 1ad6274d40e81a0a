"""Reports and briefs from the tenant's own records: a report from data, a coordination brief.

Everything is read through the tenant's scope with grouped queries (one per table, however
many rows), and written as markdown beside the tenant's outbox files; the report's tables also
go to a CSV for a spreadsheet. Research briefs live in services/tasks/research.py.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from resources.database import TenantScope
from resources.store.schema import contacts, deals, orders, quotes, task_dependencies, tasks
from services.tasks.run import Outcome, TaskRun

CLOSED_STAGES = ("won", "lost")
Table = tuple[str, tuple[str, ...], list[tuple[Any, ...]]]  # (title, header, rows)


def report_from_data(run: TaskRun) -> Outcome:
    """Orders by status, open deals by stage, quotes by status, engagement and tasks: the
    figures an owner asks for, each with its count and value."""
    days = run.tenant.settings.thresholds.engagement_days
    with run.db.for_tenant(run.tenant.slug) as scope:
        tables: list[Table] = [
            _grouped(scope, "Orders by status", orders.c.status, orders.c.total_amount),
            _grouped(
                scope,
                "Open deals by stage",
                deals.c.stage,
                deals.c.amount,
                deals.c.stage.not_in(CLOSED_STAGES),
            ),
            _grouped(scope, "Quotes by status", quotes.c.status, quotes.c.amount),
            _grouped(scope, "Tasks by status", tasks.c.status),
        ]
        overdue, reachable = _engagement(scope, run.now - timedelta(days=days))
    lines = [
        f"# Report: {run.task['title']}",
        "",
        f"{run.tenant.name}, as of {run.now:%Y-%m-%d %H:%M %Z}.",
        "",
        f"Contacts past their {days}-day touch: {overdue} of {reachable} with an email address "
        "(by their last recorded touch, or when they were added if never touched).",
        "",
    ]
    for title, header, rows in tables:
        lines += [f"## {title}", "", *_markdown(header, rows), ""]
    csv_path = run.write(".csv", _csv(tables))
    lines.append(f"The tables as CSV: {csv_path.name}")
    path = run.write(".md", "\n".join(lines) + "\n")
    n_orders, n_deals, n_quotes, n_tasks = (sum(r[1] for r in rows) for _, _, rows in tables)
    detail = (
        f"report written: orders {n_orders}, open deals {n_deals}, quotes {n_quotes}, "
        f"tasks {n_tasks}, contacts past their touch {overdue}"
    )
    return Outcome("completed", detail, str(path))


def _grouped(
    scope: TenantScope,
    title: str,
    by: sa.Column,
    value: sa.Column | None = None,
    *where: sa.ColumnElement[bool],
) -> Table:
    columns = [by, sa.func.count()]
    if value is not None:
        columns.append(sa.func.coalesce(sa.func.sum(value), 0))
    query = scope.select(*columns).where(*where).group_by(by).order_by(by)
    rows = [tuple(r) for r in scope.execute(query).all()]
    return title, (by.name, "count", *(("value",) if value is not None else ())), rows


def _engagement(scope: TenantScope, cutoff) -> tuple[int, int]:
    clock = sa.func.coalesce(contacts.c.last_touch_at, contacts.c.created_at)
    row = scope.execute(
        scope.select(
            sa.func.count(sa.case((clock < cutoff, 1))),
            sa.func.count(),
        ).where(contacts.c.email.is_not(None))
    ).one()
    return int(row[0]), int(row[1])


def _markdown(header: tuple[str, ...], rows: list[tuple[Any, ...]]) -> list[str]:
    """The table with a total line; values are money, so they are summed as decimals."""
    if not rows:
        return ["(none)"]
    total = ["**total**", sum(r[1] for r in rows)]
    if len(header) > 2:
        total.append(sum((Decimal(str(r[2])) for r in rows), Decimal(0)))
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in [*rows, total]]
    return lines


def _cell(value: Any) -> str:
    if isinstance(value, Decimal | float):
        return f"{value:,.2f}"
    return str(value)


def _csv(tables: list[Table]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["table", "group", "count", "value"])
    for title, _, rows in tables:
        writer.writerows([title, *row] for row in rows)
    return out.getvalue()


def coordination_brief(run: TaskRun) -> Outcome:
    """Where this task stands among the tasks around it: its parent, the tasks it waits on and
    that wait on it, its siblings (or the rest of its strategy's execution) and its subtasks,
    each with its status, and what among them needs a person."""
    task = run.task
    with run.db.for_tenant(run.tenant.slug) as scope:
        groups = _related(scope, task)
    if not any(rows for _, rows in groups):
        return Outcome(
            "blocked",
            "nothing to coordinate: the task has no parent, subtasks, siblings or "
            "dependencies; a person must route it",
        )
    lines = [f"# Coordination: {task['title']}", ""]
    stuck = []
    for title, rows in groups:
        if not rows:
            continue
        lines += [
            f"## {title}",
            "",
            "| task | kind | status | approval | note |",
            "|---|---|---|---|---|",
        ]
        for r in rows:
            note = r["last_error"] or r["deliverable"] or ""
            lines.append(
                f"| {r['id']} {r['title']} | {r['kind']} | {r['status']} | "
                f"{r['approval_status']} | {note} |"
            )
            if r["status"] in ("blocked", "failed"):
                stuck.append(f"- task {r['id']} {r['title']}: {r['status']}, {note or 'no reason'}")
        lines.append("")
    lines += ["## Needs a person", "", *(stuck or ["Nothing blocked or failed."])]
    path = run.write(".md", "\n".join(lines) + "\n")
    related = sum(len(rows) for _, rows in groups)
    return Outcome(
        "completed", f"coordination brief: {related} related task(s), {len(stuck)} stuck", str(path)
    )


def _related(scope: TenantScope, task: dict[str, Any]) -> list[tuple[str, list[dict]]]:
    own, parent = task["id"], task.get("parent_id")
    waits_on = scope.select(task_dependencies.c.depends_on_id).where(
        task_dependencies.c.task_id == own
    )
    waited_by = scope.select(task_dependencies.c.task_id).where(
        task_dependencies.c.depends_on_id == own
    )
    if parent is not None:
        alongside = ("Siblings", tasks.c.parent_id == parent)
    elif task.get("strategy_execution_id") is not None:
        execution = task["strategy_execution_id"]
        alongside = ("Same strategy execution", tasks.c.strategy_execution_id == execution)
    else:
        alongside = ("Siblings", sa.false())
    wanted = [
        ("Parent", tasks.c.id == parent if parent is not None else sa.false()),
        ("Waits on", tasks.c.id.in_(list(scope.execute(waits_on).scalars()))),
        ("Waiting on this", tasks.c.id.in_(list(scope.execute(waited_by).scalars()))),
        alongside,
        ("Subtasks", tasks.c.parent_id == own),
    ]
    groups = []
    for title, condition in wanted:
        query = scope.select(tasks).where(condition, tasks.c.id != own).order_by(tasks.c.id)
        groups.append((title, [dict(r) for r in scope.execute(query).mappings()]))
    return groups
