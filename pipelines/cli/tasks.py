"""`steward task ...` and `steward executor pause|resume`: delegated work by hand.

`task add` decides how the task gets done (immediate, decomposed into subtasks, or blocked for
a person), says why and what will happen (what runs at once, what waits for a person); its last
line is the new task's id alone, for scripts. Approvals go through `steward approve|reject`
(also `task approve|reject`), which know every kind of waiting task.
"""

from __future__ import annotations

from datetime import UTC, datetime

import typer
from rich.table import Table

from agent.tasks.approvals import needs_approval
from agent.tasks.machine import EXECUTION_TYPES
from pipelines.cli.actions import approve, reject
from pipelines.cli.common import actor, out, pairs, ready_database
from resources.database import TenantScope
from resources.store import tasks as store
from resources.store.schema import task_dependencies, task_snapshots, tasks
from resources.store.system_config import set_executor_pause
from services import approvals
from services.tasks.handlers import HANDLED_KINDS, sends

task_app = typer.Typer(
    no_args_is_help=True,
    help="Tasks: add, list, show, approve, reject, pause, resume, retry.",
)
executor_app = typer.Typer(no_args_is_help=True, help="Pause or resume the task executor.")
task_app.command("approve")(approve)
task_app.command("reject")(reject)


@task_app.command("add")
def add(
    title: str = typer.Argument(..., help="What needs doing."),
    tenant: str = typer.Option(..., "--tenant", help="Tenant slug."),
    description: str = typer.Option(None, "--description"),
    kind: str = typer.Option("general", "--kind", help="email, social, content, report, ..."),
    execution_type: str = typer.Option(
        "semi_automated", "--execution-type", help=", ".join(EXECUTION_TYPES)
    ),
    priority: int = typer.Option(50, "--priority", help="Higher runs first."),
    depends_on: list[int] = typer.Option(None, "--depends-on", help="Task id (repeatable)."),
    context: list[str] = typer.Option(None, "--context", help="NAME=VALUE (repeatable)."),
) -> None:
    """Add a task; prints its approach, what will happen, any subtasks, then the new id on the
    last line."""
    db = ready_database()
    now = datetime.now(UTC)
    with db.for_tenant(tenant) as scope:
        task_id = store.create(
            scope,
            title,
            now,
            description=description,
            kind=kind,
            execution_type=execution_type,
            priority=priority,
            requested_by=actor(),
            context=pairs(context or [], "--context") or None,
            depends_on=depends_on or [],
            handled_kinds=HANDLED_KINDS,
        )
        task = store.get(scope, task_id)
        children = [
            dict(r)
            for r in scope.execute(
                scope.select(tasks).where(tasks.c.parent_id == task_id).order_by(tasks.c.id)
            ).mappings()
        ]
        waits_on = _dependencies(scope, [task_id, *(c["id"] for c in children)])
    out.print(f"{task['approach']}: {task['approach_reason']}", highlight=False)
    if task["approach"] != "blocked":
        out.print(_what_happens(task, waits_on.get(task_id, [])), highlight=False)
    for child in children:
        plan = _what_happens(child, waits_on.get(child["id"], []))
        out.print(
            f"  subtask {child['id']}: {child['title']} ({child['kind']}, "
            f"{child['execution_type']}): {plan}",
            highlight=False,
        )
    print(task_id)


def _dependencies(scope: TenantScope, ids: list[int]) -> dict[int, list[int]]:
    rows = scope.execute(
        scope.select(task_dependencies.c.task_id, task_dependencies.c.depends_on_id)
        .where(task_dependencies.c.task_id.in_(ids))
        .order_by(task_dependencies.c.depends_on_id)
    )
    found: dict[int, list[int]] = {}
    for task_id, depends_on in rows:
        found.setdefault(task_id, []).append(depends_on)
    return found


def _what_happens(task: dict, waits_on: list[int]) -> str:
    """One line on what becomes of a new task: who does it, when it runs, and whether what it
    makes stays in Steward or leaves, and then after whose yes."""
    task_id, kind = task["id"], task["kind"]
    if task["execution_type"] == "manual":
        return "a person does it; the executor never runs it"
    if task["approach"] == "decompose":
        return "its subtasks run as they come due; it completes when they all have"
    if kind not in HANDLED_KINDS:
        return f"no handler does {kind} work, so the executor will block it for a person"
    when = (
        f"once task{'s' if len(waits_on) > 1 else ''} {', '.join(map(str, waits_on))} "
        f"{'are' if len(waits_on) > 1 else 'is'} completed"
        if waits_on
        else "now (next executor pass)"
    )
    leaves = sends(kind)
    if not leaves:
        return f"runs {when}, no approval needed: what it makes stays in Steward"
    if needs_approval(task["execution_type"], leaves):
        return f"drafted {when}; then the send waits for approval: steward approve {task_id}"
    return (
        f"runs {when}; the send goes by the gate's rules, which may still hold it for "
        f"approval (steward task show {task_id} says)"
    )


@task_app.command("list")
def list_tasks(
    tenant: str = typer.Option(..., "--tenant"),
    status: str = typer.Option(None, "--status"),
    limit: int = typer.Option(50, "--limit"),
) -> None:
    """The tenant's tasks, most urgent first, one tab-separated line each."""
    db = ready_database()
    with db.for_tenant(tenant) as scope:
        query = scope.select(tasks).order_by(tasks.c.priority.desc(), tasks.c.id).limit(limit)
        if status:
            query = query.where(tasks.c.status == status)
        rows = scope.execute(query).mappings().all()
    print("\t".join(("id", "status", "approval", "kind", "type", "attempts", "priority", "title")))
    for r in rows:
        fields = (
            str(r["id"]),
            r["status"],
            r["approval_status"],
            r["kind"],
            r["execution_type"],
            f"{r['attempts']}/{r['max_attempts']}",
            str(r["priority"]),
            r["title"],
        )
        print("\t".join(fields))


@task_app.command("show")
def show(task_id: int, tenant: str = typer.Option(None, "--tenant")) -> None:
    """One task: its fields, what it holds for approval, dependencies, execution log and
    snapshots."""
    db = ready_database()
    slug = tenant or approvals.tenant_of_task(db, task_id)
    with db.for_tenant(slug) as scope:
        task = store.get(scope, task_id)
        deps = (
            scope.execute(
                scope.select(task_dependencies.c.depends_on_id).where(
                    task_dependencies.c.task_id == task_id
                )
            )
            .scalars()
            .all()
        )
        log = store.events(scope, task_id)
        snaps = (
            scope.execute(scope.select(task_snapshots).where(task_snapshots.c.task_id == task_id))
            .mappings()
            .all()
        )
    for name in (
        "id",
        "title",
        "kind",
        "execution_type",
        "status",
        "approval_status",
        "approval_expires_at",
        "decided_by",
        "priority",
        "attempts",
        "max_attempts",
        "next_attempt_at",
        "approach",
        "approach_reason",
        "deliverable",
        "last_error",
        "parent_id",
    ):
        if task[name] is not None:
            out.print(f"{name}: {task[name]}", highlight=False)
    for line in _held(task):
        out.print(line, highlight=False)
    if deps:
        out.print(f"depends on: {', '.join(str(d) for d in deps)}", highlight=False)
    table = Table("when", "event", "actor", "detail", title="execution log")
    for e in log:
        table.add_row(
            f"{e['created_at']:%Y-%m-%d %H:%M:%S}", e["event"], e["actor"], e["detail"] or ""
        )
    out.print(table)
    for s in snaps:
        out.print(f"snapshot {s['entity_type']} {s['entity_id']}: {s['data']}", highlight=False)


def _held(task: dict) -> list[str]:
    """What an approval task holds, as the person approving it will see it leave: the mail as
    the gate rendered it, or the text of a post or change."""
    context = task["context"] if task["kind"] == "approval" else None
    action = (context or {}).get("action")
    if not isinstance(action, dict):
        return []
    lines = [f"holds: {action['kind']} to {action.get('target') or '-'}"]
    preview = context.get("preview")
    payload = action.get("payload") or {}
    if isinstance(preview, dict):
        lines += [f"subject: {preview.get('subject')}", "", str(preview.get("text", "")).rstrip()]
    elif payload.get("text"):
        lines += ["", str(payload["text"]).rstrip()]
    return lines


@task_app.command("pause")
def pause(task_id: int, tenant: str = typer.Option(None, "--tenant"), reason: str = "") -> None:
    """Hold a task: the executor will not run it until it is resumed."""
    _move(task_id, tenant, "paused", "paused", reason)


@task_app.command("resume")
def resume(task_id: int, tenant: str = typer.Option(None, "--tenant"), reason: str = "") -> None:
    """Let a paused or blocked task run again."""
    _move(task_id, tenant, "queued", "resumed", reason)


@task_app.command("retry")
def retry(task_id: int, tenant: str = typer.Option(None, "--tenant"), reason: str = "") -> None:
    """Try a failed task again from its first attempt, once its cause is fixed."""
    _move(task_id, tenant, "queued", "retried", reason, attempts=0, next_attempt_at=None)


def _move(task_id: int, tenant: str | None, status: str, event: str, reason: str, **values) -> None:
    db = ready_database()
    slug = tenant or approvals.tenant_of_task(db, task_id)
    with db.for_tenant(slug) as scope:
        store.move(
            scope, task_id, status, event, actor(), datetime.now(UTC), reason or None, **values
        )
    out.print(f"task {task_id} {status}", highlight=False)


@executor_app.command("pause")
def pause_all(
    reason: str = typer.Option(..., "--reason", help="Why; shown in every skip."),
) -> None:
    """Stop every executor pass until `steward executor resume`."""
    set_executor_pause(ready_database(), True, actor(), reason)
    out.print(f"executor paused: {reason}", highlight=False)


@executor_app.command("resume")
def resume_all() -> None:
    set_executor_pause(ready_database(), False, actor())
    out.print("executor resumed", highlight=False)
