"""Inquiries answered from the tenant's documents, proposed by the hourly plan.

An inbound inquiry or scheduling question of the last `inquiry_answer_hours` that nobody has
answered (no mail of ours in its thread since, no request for a person in it, no earlier cycle's
decision) is looked up in the tenant's SOPs, FAQs and fee schedules. When a passage answers it,
the plan proposes a `faq_reply` quoting it with its sources, in reply to the client's message;
the gate asks a person to approve it unless the tenant made `faq_reply` automatic. When nothing
answers it, the plan proposes a task for a person with the reason, so no question goes unseen.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from agent.actions import Action, action_key
from agent.answers import (
    ANSWER_CATEGORIES,
    Drafted,
    Passage,
    draft,
    question,
    reply_subject,
)
from resources.database import TenantScope
from resources.store import ledger
from resources.store.messages import RECEIVED, questions_since
from resources.store.schema import actions, contacts, messages, outbox, signals, tasks
from services.documents.search import search_scope

PASSAGES = 5  # looked at for each question
KINDS = ("faq_reply", "create_task")


@dataclass
class Answers:
    actions: list[Action] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)


def _step(message_id: int) -> str:
    return f"inquiry:{message_id}"


def open_inquiries(scope: TenantScope, hour: datetime) -> list[dict]:
    """Recent inbound questions with nothing of ours in their thread since they came."""
    hours = scope.tenant.settings.thresholds.inquiry_answer_hours
    ours = messages.alias("ours")
    answered = sa.exists().where(
        ours.c.tenant_id == messages.c.tenant_id, ours.c.direction == "out",
        ours.c.thread_key == messages.c.thread_key,
        sa.func.coalesce(ours.c.sent_at, ours.c.created_at) >= RECEIVED,
    )
    asked_for_person = sa.exists().where(
        signals.c.tenant_id == messages.c.tenant_id, signals.c.message_id == messages.c.id,
        signals.c.kind == "human_request",
    )
    rows = scope.execute(
        scope.select(messages.c.id, messages.c.from_addr, messages.c.subject,
                     messages.c.body_text, messages.c.message_id_header, contacts.c.first_name)
        .select_from(messages.outerjoin(contacts, contacts.c.id == messages.c.contact_id))
        .where(*questions_since(hour - timedelta(hours=hours)), messages.c.status == "stored",
               messages.c.from_addr.is_not(None), ~answered, ~asked_for_person)
        .order_by(messages.c.id)
    ).mappings()
    return [dict(r) for r in rows]


def answer_inquiries(scope: TenantScope, hour: datetime, cycle_id: int | None) -> Answers:
    inquiries = open_inquiries(scope, hour)
    keyed = [(m, {kind: action_key(kind, m["from_addr"], _step(m["id"])) for kind in KINDS})
             for m in inquiries]
    wanted = [k for _, keys in keyed for k in keys.values()]
    decided = ledger.decided_before(scope, cycle_id, actions.c.idempotency_key.in_(wanted)) \
        if wanted else frozenset()
    done = Answers()
    for message, keys in keyed:
        if decided & set(keys.values()):
            continue
        action = _answer(scope, message, keys)
        done.actions.append(action)
        done.counts["drafted" if action.kind == "faq_reply" else "left_for_person"] += 1
    return done


def _answer(scope: TenantScope, message: dict, keys: dict[str, str]) -> Action:
    asked = question(message["subject"], message["body_text"])
    hits = search_scope(scope, asked, PASSAGES, ANSWER_CATEGORIES) if asked else []
    passages = [Passage(h.chunk_id, h.document_id, h.filename, h.page, h.offset, h.body)
                for h in hits]
    found = draft(asked, passages)
    subject = reply_subject(message["subject"])
    if isinstance(found, Drafted):
        return Action(
            kind="faq_reply",
            target=message["from_addr"],
            payload={
                "message_id": message["id"],
                "in_reply_to": message["message_id_header"],
                "vars": {
                    "first_name": message["first_name"] or "there",
                    "question_subject": subject,
                    "answer": found.answer,
                    "sources": [c.describe() for c in found.citations],
                },
                "citations": [
                    {"document_id": c.document_id, "chunk_id": c.chunk_id,
                     "filename": c.filename, "page": c.page, "offset": c.offset,
                     "quote": c.quote}
                    for c in found.citations
                ],
            },
            reason=f"{message['from_addr']} asked \"{subject}\"; {found.reason}",
            priority=70,
            idempotency_key=keys["faq_reply"],
        )
    return Action(
        kind="create_task",
        target=message["from_addr"],
        payload={"basis": "client_question", "message_id": message["id"],
                 "title": f"Answer {message['from_addr']}: {subject}"[:200],
                 "question": asked},
        reason=f"left for a person: {found.reason}",
        priority=75,
        idempotency_key=keys["create_task"],
    )


def recent(scope: TenantScope, limit: int) -> list[dict]:
    """The latest inquiries the plan handled, newest first: the action with its decision and
    reason; for a drafted reply the message as rendered (the approval's preview, or the
    outbox's copy once it was allowed), for one left for a person the task it opened."""
    rows = scope.execute(
        scope.select(actions.c.kind, actions.c.target, actions.c.status, actions.c.reason,
                     actions.c.task_id, actions.c.idempotency_key)
        .where(actions.c.kind.in_(KINDS), actions.c.idempotency_key.like("%:inquiry:%"))
        .order_by(actions.c.id.desc()).limit(limit)
    ).mappings().all()
    keys = [r["idempotency_key"] for r in rows]
    queued = {r["idempotency_key"]: r for r in scope.execute(
        scope.select(outbox.c.idempotency_key, outbox.c.payload, outbox.c.status,
                     outbox.c.provider_ref).where(outbox.c.idempotency_key.in_(keys))
    ).mappings()} if keys else {}
    held = {r["id"]: r["context"] for r in scope.execute(
        scope.select(tasks.c.id, tasks.c.context).where(
            tasks.c.id.in_([r["task_id"] for r in rows if r["task_id"]]))).mappings()}
    found = []
    for r in rows:
        out = queued.get(r["idempotency_key"])
        preview = (held.get(r["task_id"]) or {}).get("preview") or (out or {}).get("payload")
        found.append({**r, "status": out["status"] if out else r["status"],
                      "opened": out["provider_ref"] if out and r["kind"] == "create_task"
                      else None,
                      "draft": preview if r["kind"] == "faq_reply" else None})
    return found
