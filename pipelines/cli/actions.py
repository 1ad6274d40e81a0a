"""`steward action`, `steward approve|reject` and `steward outbox`: the guarded actions by hand.

A person proposing an action goes through the same gate as the agent; approving one records who
and why and sends the action through the gate again; the outbox commands deliver, list and settle
what the gate queued.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import typer

from agent.actions import Action, action_key
from pipelines import resources
from pipelines.cli.common import CliError, actor, out, pairs, ready_database
from resources.database import Database
from resources.store.outbox import settle
from resources.store.schema import actions, outbox
from services import approvals
from services.approvals import ApprovalError
from services.delivery import dispatch_pass
from services.gate import GateResult, propose

action_app = typer.Typer(no_args_is_help=True, help="Propose and list guarded actions.")
outbox_app = typer.Typer(no_args_is_help=True, help="The outbox: dispatch, list, resolve.")


def _line(r: GateResult) -> str:
    when = f" until {r.not_before:%Y-%m-%d %H:%M %Z}" if r.not_before else ""
    task = f" task {r.task_id}" if r.task_id else ""
    again = " (already decided)" if r.duplicate else ""
    return f"{r.status}{again}\t{r.kind}\t{r.target or '-'}\t{r.rule}{task}{when}\t{r.reason}"


@action_app.command("propose")
def propose_cmd(
    tenant: str = typer.Option(..., "--tenant"),
    kind: str = typer.Option(..., "--kind", help="send_email, follow_up, social_post, ..."),
    target: str = typer.Option(None, "--target", help="Recipient address or target object."),
    var: list[str] = typer.Option(None, "--var", help="Template variable NAME=VALUE."),
    payload: str = typer.Option(None, "--payload", help="Extra payload as a JSON object."),
    reason: str = typer.Option("", "--reason", help="Why this should happen."),
    key: str = typer.Option(None, "--key", help="Idempotency key (default: kind, target, now)."),
) -> None:
    """Propose one action; prints the gate's decision (queued, awaiting approval, ...)."""
    extra = json.loads(payload) if payload else {}
    if not isinstance(extra, dict):
        raise CliError("--payload must be a JSON object")
    variables = {k: v.replace("\\n", "\n") for k, v in pairs(var or [], "--var").items()}
    if variables:
        extra["vars"] = {**extra.get("vars", {}), **variables}
    now = datetime.now(UTC)
    action = Action(
        kind=kind,
        target=target,
        payload=extra,
        reason=reason or f"proposed by {actor()}",
        idempotency_key=key or action_key(kind, target, f"manual:{now:%Y%m%dT%H%M%S}"),
    )
    (result,) = propose(ready_database(), tenant, [action], now)
    print(_line(result))


@action_app.command("list")
def list_actions(
    tenant: str = typer.Option(..., "--tenant"),
    status: str = typer.Option(None, "--status", help="queued, deferred, blocked, ..."),
    limit: int = typer.Option(50, "--limit"),
) -> None:
    """The action ledger, newest first: every decision with its rule and reason."""
    with ready_database().for_tenant(tenant) as scope:
        query = scope.select(actions).order_by(actions.c.id.desc()).limit(limit)
        if status:
            query = query.where(actions.c.status == status)
        rows = scope.execute(query).mappings().all()
    for r in rows:
        fields = (r["idempotency_key"], r["kind"], r["target"] or "-", r["status"], r["rule"])
        print("\t".join([*fields, r["decision_reason"]]))


def approve(
    task_id: int,
    tenant: str = typer.Option(None, "--tenant", help="Default: the tenant owning the task."),
    reason: str = typer.Option("", "--reason"),
) -> None:
    """Approve a waiting task: a held action goes through the gate again, approved; other
    work is queued for the executor."""
    _decide(task_id, tenant, "approve", reason)


def reject(
    task_id: int,
    reason: str = typer.Option("", "--reason", help="Why not (required); kept with it."),
    tenant: str = typer.Option(None, "--tenant", help="Default: the tenant owning the task."),
) -> None:
    """Reject a waiting task: nothing of it is carried out, and the reason is kept."""
    _decide(task_id, tenant, "reject", reason)


def _decide(task_id: int, tenant: str | None, decision: str, reason: str) -> None:
    db = ready_database()
    try:
        slug = tenant or approvals.tenant_of_task(db, task_id)
        line, result = approvals.decide(db, slug, task_id, decision, actor(), reason)
    except ApprovalError as exc:
        raise CliError(str(exc)) from None
    print(line + ("\t" + _line(result) if result else ""))


@outbox_app.command("dispatch")
def dispatch_cmd(
    tenant: list[str] = typer.Option(None, "--tenant"),
    all_tenants: bool = typer.Option(False, "--all"),
    lease_seconds: int = typer.Option(
        300, "--lease-seconds", help="How old a claim must be before it is taken back."
    ),
) -> None:
    """Deliver due outbox rows now, in this process (the schedule does the same every minute)."""
    if bool(tenant) == all_tenants:
        raise CliError("give --tenant SLUG (one or more) or --all")
    db = ready_database()
    slugs = tenant or [t.slug for t in db.tenants() if t.agent_enabled]
    for slug in slugs:
        print(dispatch_pass(db, resources.clients, slug, lease=timedelta(seconds=lease_seconds)))


@outbox_app.command("list")
def list_outbox(
    tenant: str = typer.Option(..., "--tenant"),
    status: str = typer.Option(None, "--status"),
    limit: int = typer.Option(50, "--limit"),
) -> None:
    with ready_database().for_tenant(tenant) as scope:
        query = scope.select(outbox).order_by(outbox.c.id.desc()).limit(limit)
        if status:
            query = query.where(outbox.c.status == status)
        rows = scope.execute(query).mappings().all()
    for r in rows:
        detail = r["last_error"] or r["provider_ref"] or r["eml_path"] or ""
        fields = (r["idempotency_key"], r["kind"], r["target"] or "-", r["status"])
        print("\t".join([*fields, str(r["attempts"]), detail]))


@outbox_app.command("resolve")
def resolve(
    key: str,
    tenant: str = typer.Option(..., "--tenant"),
    sent: bool = typer.Option(False, "--sent", help="It did arrive: record it as sent."),
    resend: bool = typer.Option(False, "--resend", help="It did not arrive: send it again."),
) -> None:
    """Settle a message whose delivery is unknown, after checking with the recipient."""
    if sent == resend:
        raise CliError("choose --sent or --resend")
    db = ready_database()
    row = _unknown_row(db, tenant, key)
    now = datetime.now(UTC)
    who = actor()
    if sent:
        settle(
            db,
            tenant,
            row,
            now,
            status="sent",
            sent_at=now,
            claimed_by=None,
            last_error=f"confirmed delivered by {who}",
        )
    else:
        settle(
            db,
            tenant,
            row,
            now,
            status="pending",
            attempts=0,
            not_before=None,
            claimed_by=None,
            claimed_at=None,
            last_error=f"resend requested by {who}",
        )
    out.print(f"{key}: {'sent' if sent else 'queued again'}", highlight=False)


def _unknown_row(db: Database, tenant: str, key: str) -> int:
    with db.for_tenant(tenant) as scope:
        row = scope.execute(
            scope.select(outbox.c.id, outbox.c.status).where(outbox.c.idempotency_key == key)
        ).first()
    if row is None:
        raise CliError(f"no outbox row {key!r} for tenant {tenant}")
    if row.status != "delivery_unknown":
        raise CliError(f"{key} is {row.status}, not delivery_unknown: nothing to resolve")
    return row.id
