"""Task handlers by kind: what the executor runs for a task it picked up.

Anything with an outside effect (an email, a social post, a newsletter, an SEO or ads change)
is proposed to the one gate (services/gate.py) as an action keyed by the task, so a retried
task finds its action already decided and never sends twice; the gate's answer becomes the
task's outcome. The dispatcher then delivers what the gate queued: mail through the mailer,
the other kinds through the tenant's provider (resources/providers.py). What a semi-automated
task sends is proposed as needing a person (agent.tasks.approvals.needs_approval): the gate
renders it and holds it as an approval task, and the task is blocked on it until the answer
comes (services/approvals.py carries it back). A task whose send a person approved carries
that approval to the gate, which then skips only the person's part of the policy;
suppression, send mode, windows and caps still apply.

Work that stays inside (drafts, note summaries, reports, research and coordination briefs) is
written as a file in the tenant's outbox folder (services/tasks/content.py, briefs.py and
research.py).
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from agent.actions import APPROVAL_REQUESTED, Action
from agent.tasks.approvals import needs_approval
from agent.tasks.outcomes import RECHECK
from resources.database.clock import aware
from resources.store.ledger import GateResult
from services.gate import propose
from services.tasks.briefs import coordination_brief, report_from_data
from services.tasks.content import draft_content, email_vars, summarise_notes
from services.tasks.research import research_brief
from services.tasks.run import HandlerError, Outcome, TaskRun

__all__ = [
    "HANDLED_KINDS",
    "HandlerError",
    "Outcome",
    "TaskRun",
    "handle",
    "handler_name",
    "sends",
]

# Task kinds whose handler proposes this action kind to the gate; delivery is the dispatcher's.
PLATFORM_ACTIONS = {
    "social": "social_post",
    "newsletter": "newsletter",
    "seo": "seo_change",
    "ads": "ads_change",
}
# Where such an action goes when the task names no channel, page or campaign.
DEFAULT_TARGETS = {
    "social_post": "social channels",
    "newsletter": "newsletter subscribers",
    "seo_change": "website",
    "ads_change": "ads account",
}
ALIASES = {"marketing": "newsletter", "notes": "summary", "report": "analysis"}


def _canonical(kind: str) -> str:
    return ALIASES.get(kind, kind)


def propose_email(run: TaskRun) -> Outcome:
    """A one-off email to the task's recipient, rendered by the send_email template."""
    to = run.recipient()
    if not to:
        return Outcome(
            "blocked", "no recipient: the task names no address and its context has no 'to'"
        )
    return _through_gate(
        run, "send_email", to, {"vars": email_vars(run), "task_id": run.task["id"]}
    )


def propose_platform(run: TaskRun) -> Outcome:
    """A post, newsletter, SEO or ads change: the text the task gives, or a plain draft from
    its title and description, for the tenant's provider to deliver once the gate allows it."""
    kind = PLATFORM_ACTIONS[_canonical(run.task["kind"])]
    target = run.text("target", "channel", "url", "campaign") or DEFAULT_TARGETS[kind]
    title = run.task["title"]
    text = run.text("text", "body") or "\n\n".join(
        part for part in (title, (run.task["description"] or "").strip()) if part
    )
    payload = {"title": title, "text": text, "task_id": run.task["id"]}
    return _through_gate(run, kind, target, payload)


def _through_gate(run: TaskRun, kind: str, target: str, payload: dict) -> Outcome:
    task = run.task
    approved = task["approval_status"] == "approved" and task["decided_by"]
    if not approved and needs_approval(task["execution_type"], leaves=True):
        payload = {
            **payload,
            APPROVAL_REQUESTED: f"task {task['id']} is semi-automated: Steward drafted it, "
            "a person approves what leaves",
        }
    action = Action(
        kind=kind,
        target=target,
        payload=payload,
        reason=f"task {task['id']}: {task['title']}",
        priority=task["priority"],
        idempotency_key=f"task:{task['id']}:{_canonical(task['kind'])}",
        approved_by=task["decided_by"] if approved else None,
    )
    (result,) = propose(run.db, run.tenant.slug, [action], run.now)
    return gate_outcome(result, run)


def gate_outcome(result: GateResult, run: TaskRun) -> Outcome:
    """The task's outcome from the gate's decision, a fresh one or the one already recorded
    for the key: queued is done, a deferral waits, anything a person must settle blocks."""
    said = f"{result.kind} to {result.target or '-'}"
    why = f"({result.rule}) {result.reason}"
    if result.status == "queued":
        return Outcome("completed", f"queued {said} {why}", deliverable=f"outbox:{result.key}")
    if result.status == "deferred":
        when = aware(result.not_before) if result.not_before else run.now + RECHECK
        return Outcome("waiting", f"{said} deferred {why}", not_before=when)
    if result.status == "awaiting_approval":
        return Outcome(
            "blocked",
            f"{said} waits for a person: approval task {result.task_id} {why}",
            awaits=result.task_id,
        )
    if result.status in ("evaluating", "approved"):
        return Outcome(
            "waiting", f"{said} is being decided right now {why}", not_before=run.now + RECHECK
        )
    return Outcome("blocked", f"{said} {result.status} {why}")


def needs_calendar(run: TaskRun) -> Outcome:
    """Scheduling needs a calendar Steward can read and write; no calendar connection exists
    here, so a person books it. This is a real limit, reported as such, not a placeholder."""
    return Outcome("blocked", "scheduling needs a calendar connection; none is configured")


def no_handler(run: TaskRun) -> Outcome:
    kind = run.task["kind"]
    return Outcome("blocked", f"no handler for kind {kind}; a person must do it")


HANDLERS: dict[str, Callable[[TaskRun], Outcome]] = {
    "email": propose_email,
    **dict.fromkeys(PLATFORM_ACTIONS, propose_platform),
    "content": draft_content,
    "summary": summarise_notes,
    "analysis": report_from_data,
    "research": research_brief,
    "coordination": coordination_brief,
    "scheduling": needs_calendar,
}
# Kinds Steward can do itself (agent.tasks.choose_approach's `handled_kinds`).
HANDLED_KINDS = frozenset(
    kind
    for kind in (*HANDLERS, *ALIASES)
    if HANDLERS.get(_canonical(kind)) not in (None, needs_calendar)
)


def _handler(kind: str) -> Callable[[TaskRun], Outcome]:
    return HANDLERS.get(_canonical(kind), no_handler)


def sends(kind: str) -> bool:
    """Whether a task of this kind sends what it makes out of Steward (through the gate)
    rather than storing it."""
    return _handler(kind) in (propose_email, propose_platform)


def handler_name(kind: str) -> str:
    """The handler a task of this kind runs, for "[DRY RUN] would run <name>" lines."""
    return _handler(kind).__name__


def handle(run: TaskRun) -> Outcome:
    """Run the task's handler. A file that cannot be written or a database that cannot be
    reached is a failed attempt (both may work again later); everything else the handler
    reports as its outcome."""
    try:
        return _handler(run.task["kind"])(run)
    except (OSError, sa.exc.OperationalError) as exc:
        raise HandlerError(f"{handler_name(run.task['kind'])}: {exc}") from exc
