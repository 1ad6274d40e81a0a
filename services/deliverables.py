"""Delivery without SMTP: dry-run mail written as .eml files, order fixes applied to the order,
human tasks opened for a person, and the other kinds (SEO, social, ads, ...) handed to the
tenant's provider for the kind (resources/providers.py): a JSON file by default, or a webhook.
A tenant's rows are claimed and recorded together instead of one transaction per step: a crash
before recording only rewrites the same files (written atomically: old file or new) or finds the
task already open. A webhook is the one delivery here that leaves the system, so its row takes
the dispatcher's hand-over step (`sending`) right before the POST, as mail does before SMTP.

The recipient re-check (suppressions that arrived, a tighter send mode) is shared with the
dispatcher's path for mail that does leave."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from agent.actions import EMAIL_KINDS
from agent.policy import Decision, allowlisted
from agent.settings import PROVIDER_KINDS
from resources.database import Database, Tenant
from resources.mailer import Mailer
from resources.mailer.message import build_message
from resources.providers import Provider, ProviderError, Providers, file_name
from resources.store import ledger
from resources.store import outbox as box
from resources.store import tasks as task_store
from resources.store.signals import mark_actioned
from resources.store.suppressions import reasons
from resources.store.tenants import get_tenant
from services.broadcasts.sending import BATCH_KIND, MAIL_KIND, expand_batch
from services.cadence.recheck import stopped_steps
from services.killswitch import kill_state
from services.orders import apply_fix


def deliver_local(
    db: Database,
    mailer: Mailer,
    providers: Providers,
    tenant: Tenant,
    rows: list[dict[str, Any]],
    worker: str,
    now: datetime,
) -> Counter:
    """Rows delivered without SMTP, claimed together. Those that stay inside the system are
    recorded together; those handed to a webhook go after them one at a time (`hand_over`)."""
    won = box.claim_many(db, tenant.slug, [r["id"] for r in rows], worker, now)
    rows = [r for r in rows if r["id"] in won]
    chosen = {
        r["id"]: providers.for_kind(tenant, r["kind"], mailer)
        for r in rows
        if r["kind"] in PROVIDER_KINDS
    }
    handed = {row_id for row_id, provider in chosen.items() if provider.leaves}
    leaving = [r for r in rows if r["id"] in handed]
    staying = [r for r in rows if r["id"] not in handed]
    refused = recipient_refusals(db, tenant, [r for r in staying if r["kind"] in EMAIL_KINDS])
    outcomes = [
        (row, local_outcome(db, mailer, tenant, row, refused, chosen.get(row["id"]), now))
        for row in staying
    ]
    with db.for_tenant(tenant.slug) as scope:
        counts = record(scope, outcomes, now)
    for row in leaving:
        counts[hand_over(db, tenant, row, chosen[row["id"]], worker, now)] += 1
    return counts


def local_outcome(db, mailer, tenant, row, refused, provider, now) -> dict[str, Any]:
    if row["kind"] == "order_fix":
        problem = apply_fix(db, tenant.slug, row["payload"] or {})
        result = {"status": "failed", "last_error": problem} if problem else {"status": "delivered"}
        return {**result, "provider": "orders", "sent_at": now}
    if row["kind"] == "create_task":
        task_id = open_human_task(db, tenant.slug, row, now)
        return {
            "status": "delivered",
            "provider": "tasks",
            "provider_ref": f"task {task_id}",
            "sent_at": now,
        }
    if row["kind"] == BATCH_KIND:
        return expand_batch(db, tenant, row, now)
    if row["kind"] not in EMAIL_KINDS:
        return provider_outcome(provider, tenant, row, now)
    if row["id"] in refused:
        return blocked(row, refused[row["id"]])
    msg = build_message(tenant.slug, row["idempotency_key"], row["payload"] or {}, now)
    path = mailer.write_eml(tenant.slug, file_name(row), msg)
    return {
        "status": "dry_run",
        "eml_path": str(path),
        "send_mode": "dry_run",
        "provider": "dry_run",
        "provider_ref": msg["Message-ID"],
        "message_id": msg["Message-ID"].strip("<>"),
        "sent_at": now,
    }


def hand_over(
    db: Database,
    tenant: Tenant,
    row: dict[str, Any],
    provider: Provider,
    worker: str,
    now: datetime,
) -> str:
    """A delivery that leaves the system, like mail over SMTP: the switches are checked again
    right before it, the row is marked `sending` (only by its claim's owner) and the reply is
    recorded at once, so a crash in between leaves the row's delivery unknown, never resent."""
    stop = kill_state(db, get_tenant(db, tenant.slug))
    if stop.active:
        box.release(db, tenant.slug, row["id"], now, stop.describe())
        return "held"
    try:
        box.mark_sending(db, tenant.slug, row["id"], worker, now)
    except box.LeaseLost:
        return "lease_lost"
    outcome = provider_outcome(provider, tenant, row, now)
    with db.for_tenant(tenant.slug) as scope:
        (counted,) = record(scope, [(row, outcome)], now)
    return counted


def provider_outcome(
    provider: Provider, tenant: Tenant, row: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """Delivered with the provider's reference; or, on failure, retried with the outbox's
    backoff, or failed at once when trying again cannot help (a 4xx)."""
    try:
        ref = provider.deliver(tenant, row)
    except ProviderError as exc:
        if exc.retryable:
            return {**box.retry_values(row, now, str(exc)), "provider": provider.name}
        return {"status": "failed", "last_error": str(exc), "provider": provider.name}
    return {
        "status": "delivered",
        "provider": provider.name,
        "provider_ref": ref[:500],
        "sent_at": now,
    }


def open_human_task(db: Database, slug: str, row: dict[str, Any], now: datetime) -> int:
    """A human task the policy allowed (a client asked, a deadline, a safety escalation) becomes
    a task for a person; keyed by the action, so a retried delivery opens it once."""
    payload = row["payload"] or {}
    with db.for_tenant(slug) as scope:
        task_id = task_store.open_keyed(
            scope,
            f"task:{row['idempotency_key']}"[:300],
            now,
            f"a task for a person, from action {row['idempotency_key']}",
            title=str(payload.get("title") or row["reason"] or "Task")[:500],
            description=row["reason"],
            kind="human",
            execution_type="manual",
            status="pending",
            priority=row["priority"],
            requested_by=payload.get("basis") or "agent",
            context=payload,
        )
        if isinstance(payload.get("signal_id"), int):  # the request is answered: plan it no more
            mark_actioned(scope, payload["signal_id"], now)
        return task_id


def blocked(row: dict[str, Any], refusal: tuple[str, str]) -> dict[str, Any]:
    return {"status": "blocked", "last_error": refusal[1], "rule": refusal[0]}


def record(scope, outcomes: list[tuple[dict[str, Any], dict[str, Any]]], now: datetime) -> Counter:
    """Write the outcomes: blocks as violations, then one UPDATE per shape of outcome, run
    for all its rows at once."""
    counts: Counter = Counter()
    shapes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row, outcome in outcomes:
        values = dict(outcome)
        if values["status"] == "blocked":
            ledger.violation(
                scope,
                row["kind"],
                row["target"],
                row["idempotency_key"],
                Decision("block", values["rule"], values["last_error"]),
            )
        counts["retry" if values["status"] == "pending" else values["status"]] += 1
        params = {"row_id": row["id"], **{f"v_{k}": v for k, v in values.items()}}
        shapes.setdefault(tuple(sorted(values)), []).append(params)
    box.record_outcomes(scope, shapes, now)
    return counts


def recipient_refusals(
    db: Database, tenant: Tenant, rows: list[dict[str, Any]]
) -> dict[int, tuple[str, str]]:
    """(rule, reason) by row id for mail that may not go out after all: a bounce or opt-out, a
    cadence's stop rule (a reply since the plan) or a tighter send mode may be newer than the
    gate's decision. `tenant` must be current."""
    if not rows:
        return {}
    addresses = {(r["target"] or "").lower() for r in rows}
    with db.for_tenant(tenant.slug) as scope:
        suppressed = reasons(scope, addresses)
        stopped = stopped_steps(scope, [r["idempotency_key"] for r in rows
                                        if r["kind"] != MAIL_KIND])  # a campaign is no cadence
    settings = tenant.settings
    refusals = {}
    for row in rows:
        address = (row["target"] or "").lower()
        if address in suppressed:
            refusals[row["id"]] = (
                "suppressed",
                f"{address} was suppressed ({suppressed[address]}) after the message was queued",
            )
        elif row["idempotency_key"] in stopped:
            refusals[row["id"]] = ("cadence_stopped", stopped[row["idempotency_key"]])
        elif settings.send_mode == "internal_only" and not allowlisted(address, settings.allowlist):
            refusals[row["id"]] = (
                "send_mode",
                f"send mode internal_only: {address} is not on the allowlist",
            )
    return refusals
