"""Delivery that never leaves the system: dry-run mail written as .eml files, deliverables for
kinds without a platform client yet (SEO, social, ads, ...: a JSON file a person or a later
provider picks up), order fixes applied to the order and human tasks opened for a person.
Nothing here can be sent twice, so a tenant's rows are claimed and recorded together instead of
one transaction per step, and a crash before recording only rewrites the same files (written
atomically: old file or new) or finds the task already open.

The recipient re-check (suppressions that arrived, a tighter send mode) is shared with the
dispatcher's path for mail that does leave."""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from agent.actions import EMAIL_KINDS
from agent.policy import Decision, allowlisted
from resources import ledger
from resources import outbox as box
from resources.database import Database, Tenant
from resources.mailer import Mailer
from resources.mailer.message import build_message
from resources.orders import apply_fix
from resources.schema import outbox, signals, suppressions, tasks


def write_deliverable(folder: Path, row: dict[str, Any]) -> Path:
    folder = folder / row["kind"]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{file_name(row)}.json"
    tmp = path.with_suffix(".tmp")
    body = {k: row[k] for k in ("idempotency_key", "kind", "target", "payload", "reason")}
    tmp.write_text(json.dumps(body, indent=2, default=str))
    os.replace(tmp, path)
    return path


def file_name(row: dict[str, Any]) -> str:
    digest = hashlib.sha256(row["idempotency_key"].encode()).hexdigest()[:16]
    return f"{row['id']:08d}-{digest}"


def deliver_local(
    db: Database,
    mailer: Mailer,
    tenant: Tenant,
    rows: list[dict[str, Any]],
    worker: str,
    now: datetime,
) -> Counter:
    """Rows whose delivery does not leave the system (dry-run mail, deliverable files, order
    fixes), claimed and recorded together: nothing can be sent twice here, so there is no
    hand-over to record, and a crash before recording simply rewrites the same files."""
    won = box.claim_many(db, tenant.slug, [r["id"] for r in rows], worker, now)
    rows = [r for r in rows if r["id"] in won]
    refused = recipient_refusals(db, tenant, [r for r in rows if r["kind"] in EMAIL_KINDS])
    outcomes = [(row, local_outcome(db, mailer, tenant, row, refused, now)) for row in rows]
    with db.for_tenant(tenant.slug) as scope:
        return record(scope, outcomes, now)


def local_outcome(db, mailer, tenant, row, refused, now) -> dict[str, Any]:
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
    if row["kind"] not in EMAIL_KINDS:
        path = write_deliverable(mailer.folder(tenant.slug), row)
        return {
            "status": "delivered",
            "provider": "file",
            "provider_ref": str(path),
            "sent_at": now,
        }
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
        "sent_at": now,
    }


def open_human_task(db: Database, slug: str, row: dict[str, Any], now: datetime) -> int:
    """A human task the policy allowed (a client asked, a deadline, a safety escalation) becomes
    a task for a person; keyed by the action, so a retried delivery opens it once."""
    payload = row["payload"] or {}
    key = f"task:{row['idempotency_key']}"[:300]
    with db.for_tenant(slug) as scope:
        scope.insert(
            tasks,
            {
                "title": str(payload.get("title") or row["reason"] or "Task")[:500],
                "description": row["reason"],
                "kind": "human",
                "execution_type": "manual",
                "status": "pending",
                "priority": row["priority"],
                "requested_by": payload.get("basis") or "agent",
                "context": payload,
                "idempotency_key": key,
                "created_at": now,
                "updated_at": now,
            },
            skip_conflicts_on=["tenant_id", "idempotency_key"],
        )
        if isinstance(payload.get("signal_id"), int):  # the request is answered: plan it no more
            scope.execute(
                sa.update(signals)
                .where(signals.c.id == payload["signal_id"], signals.c.actioned_at.is_(None))
                .values(actioned_at=now)
            )
        return scope.scalar(scope.select(tasks.c.id).where(tasks.c.idempotency_key == key))


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
                Decision("block", values.pop("rule"), values["last_error"]),
            )
        counts[values["status"]] += 1
        params = {"row_id": row["id"], **{f"v_{k}": v for k, v in values.items()}}
        shapes.setdefault(tuple(sorted(values)), []).append(params)
    for names, params in shapes.items():
        scope.execute(
            sa.update(outbox)
            .where(outbox.c.id == sa.bindparam("row_id"))
            .values(updated_at=now, claimed_by=None, **{k: sa.bindparam(f"v_{k}") for k in names}),
            params,
        )
    return counts


def recipient_refusals(
    db: Database, tenant: Tenant, rows: list[dict[str, Any]]
) -> dict[int, tuple[str, str]]:
    """(rule, reason) by row id for mail that may not go out after all: a bounce or opt-out, or
    a tighter send mode, may be newer than the gate's decision. `tenant` must be current."""
    if not rows:
        return {}
    addresses = {(r["target"] or "").lower() for r in rows}
    with db.for_tenant(tenant.slug) as scope:
        suppressed = dict(
            scope.execute(
                scope.select(sa.func.lower(suppressions.c.email), suppressions.c.reason).where(
                    sa.func.lower(suppressions.c.email).in_(addresses)
                )
            ).all()
        )
    settings = tenant.settings
    refusals = {}
    for row in rows:
        address = (row["target"] or "").lower()
        if address in suppressed:
            refusals[row["id"]] = (
                "suppressed",
                f"{address} was suppressed ({suppressed[address]}) after the message was queued",
            )
        elif settings.send_mode == "internal_only" and not allowlisted(address, settings.allowlist):
            refusals[row["id"]] = (
                "send_mode",
                f"send mode internal_only: {address} is not on the allowlist",
            )
    return refusals
