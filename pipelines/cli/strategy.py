"""`steward strategy ...`: define a strategy from its L4 items, run it, and watch it.

Items come from a JSON file (a list of {id, title, description?, depends_on?}) or, for a quick
one, from `--item "ID|TITLE|DEP1,DEP2"`. A cyclic or dangling plan is refused with the reason
before anything is stored. pause, resume and cancel act on the strategy's latest execution.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pydantic
import typer
from rich.table import Table

from agent.strategy import L4Item, propagate, topological_order
from agent.validation import problems
from pipelines.cli.common import CliError, actor, out, ready_database
from services import strategy

app = typer.Typer(no_args_is_help=True, help="Strategies: goal → L4 items → agent tasks.")


@app.command("create")
def create(
    name: str = typer.Argument(..., help="The strategy's name, unique per tenant."),
    tenant: str = typer.Option(..., "--tenant", help="Tenant slug."),
    items: Path = typer.Option(None, "--items", help="JSON file: a list of L4 items."),
    item: list[str] = typer.Option(None, "--item", help="ID|TITLE[|DEP1,DEP2] (repeatable)."),
    goal: str = typer.Option(None, "--goal", help="What the strategy is for."),
) -> None:
    """Define (or redefine) a strategy; prints the agent tasks it plans, in order."""
    parsed = (_read(items) if items else []) + [_quick(text) for text in item or []]
    with ready_database().for_tenant(tenant) as scope:
        strategy_id = strategy.define(scope, name, parsed, goal, datetime.now(UTC))
    specs = {spec.key: spec for spec in propagate(parsed)}
    out.print(
        f"strategy {name!r} ({strategy_id}): {len(parsed)} items, {len(specs)} agent tasks",
        highlight=False,
    )
    for key in topological_order(list(specs.values())):
        after = f" after {', '.join(specs[key].depends_on)}" if specs[key].depends_on else ""
        line = f"  {key}  {specs[key].kind}  priority {specs[key].priority}{after}"
        out.print(line, highlight=False)


def _read(path: Path) -> list[L4Item]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise CliError(f"{path} is not JSON: {exc}") from None
    if not isinstance(data, list):
        raise CliError(f"{path} must hold a JSON list of items")
    found = []
    for n, entry in enumerate(data, 1):
        try:
            found.append(L4Item.model_validate(entry))
        except pydantic.ValidationError as exc:
            raise CliError(f"{path}: item {n}: {problems(exc, 'item')}") from None
    return found


def _quick(text: str) -> L4Item:
    parts = [part.strip() for part in text.split("|")]
    if len(parts) not in (2, 3) or not all(parts[:2]):
        raise CliError(f"--item takes ID|TITLE or ID|TITLE|DEP1,DEP2, got {text!r}")
    deps = tuple(d.strip() for d in parts[2].split(",") if d.strip()) if len(parts) == 3 else ()
    return L4Item(id=parts[0], title=parts[1], depends_on=deps)


def _command(verb: str, name: str, tenant: str, reason: str = "") -> None:
    with ready_database().for_tenant(tenant) as scope:
        line = strategy.command(scope, name, verb, actor(), datetime.now(UTC), reason)
    out.print(line, highlight=False)


@app.command("start")
def start(name: str, tenant: str = typer.Option(..., "--tenant")) -> None:
    """Start a new execution: one task per agent step, run by the executor in order."""
    _command("start", name, tenant)


@app.command("pause")
def pause(
    name: str, tenant: str = typer.Option(..., "--tenant"), reason: str = typer.Option("")
) -> None:
    """Hold the latest execution: nothing new starts; tasks in progress finish."""
    _command("pause", name, tenant, reason)


@app.command("resume")
def resume(
    name: str, tenant: str = typer.Option(..., "--tenant"), reason: str = typer.Option("")
) -> None:
    """Let a paused execution run again."""
    _command("resume", name, tenant, reason)


@app.command("cancel")
def cancel(
    name: str, tenant: str = typer.Option(..., "--tenant"), reason: str = typer.Option("")
) -> None:
    """End the latest execution: tasks not started fail, tasks in progress finish."""
    _command("cancel", name, tenant, reason)


@app.command("status")
def status(
    name: str,
    tenant: str = typer.Option(..., "--tenant"),
    events: int = typer.Option(10, "--events", help="How many recent events to show."),
) -> None:
    """The latest execution: tasks in order, health, metrics and recent events."""
    with ready_database().for_tenant(tenant) as scope:
        report = strategy.status(scope, name, events)
    execution = report["execution"]
    head = f"strategy {report['strategy']['name']!r}"
    if report["strategy"]["goal"]:
        head += f" — {report['strategy']['goal']}"
    out.print(head, highlight=False)
    if execution is None:
        out.print("not started yet; the plan:", highlight=False)
    else:
        out.print(
            f"execution {execution['id']} {execution['status']}, started by "
            f"{execution['started_by']} at {execution['started_at']:%Y-%m-%d %H:%M}",
            highlight=False,
        )
    out.print(_tasks(report["tasks"]))
    if execution is None:
        return
    health, metrics = report["health"], report["metrics"]
    out.print(f"health: {health['score']} ({health['status']})", highlight=False)
    for issue in health["issues"]:
        out.print(f"  {issue}", highlight=False)
    out.print(_metrics_line(metrics), highlight=False)
    for e in report["events"]:
        detail = f": {e['detail']}" if e["detail"] else ""
        out.print(
            f"  {e['created_at']:%Y-%m-%d %H:%M:%S} {e['event']} by {e['actor']}{detail}",
            highlight=False,
        )


def _tasks(rows: list[dict[str, Any]]) -> Table:
    """Tasks in the order they run; a task's key is its item and agent kind (post:content)."""
    table = Table("#")
    table.add_column("task", no_wrap=True)
    table.add_column("status")
    table.add_column("attempts")
    table.add_column("duration")
    table.add_column("after", overflow="fold")
    for n, row in enumerate(rows, 1):
        ms = row.get("duration_ms")
        waits = ", awaiting approval" if row.get("approval_status") == "pending" else ""
        table.add_row(
            str(n),
            row["plan_key"],
            (row["status"] or "planned") + waits,
            str(row.get("attempts", "")),
            f"{ms / 1000:.1f} s" if ms is not None else "",
            ", ".join(row["depends_on"]),
        )
    return table


def _metrics_line(m: dict[str, Any]) -> str:
    counts = ", ".join(
        f"{m[k]} {k.replace('_', ' ')}"
        for k in ("completed", "failed", "in_progress", "pending", "blocked", "skipped")
        if m[k]
    )
    line = f"tasks: {m['total']} ({counts or 'none finished'}); attempts {m['attempts']}, "
    line += f"retries {m['retries']}, errors {m['errors']}"
    timed = [
        f"{kind} {d['mean'] / 1000:.1f} s mean, {d['max'] / 1000:.1f} s max ({d['count']})"
        for kind, d in m["durations_ms"].items()
        if d["count"]
    ]
    return line + ("\ndurations: " + "; ".join(timed) if timed else "")
