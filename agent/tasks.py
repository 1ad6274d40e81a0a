"""Tasks: the status machine, approval rules, retries with backoff and the execution strategy.

A task is work for an agent or a person. Its execution type says who may do it: `manual` tasks
are a person's and the executor never runs them; `semi_automated` tasks wait for a person's
approval before they run (the agent drafts, a person signs off); `fully_automated` tasks run
straight away and are reviewed afterwards.

Statuses move only along `TRANSITIONS`, so a bug or a race cannot, say, complete a task that
never started or revive a completed one:

- pending → queued, in_progress, paused, blocked, or failed (rejected before it ran);
- queued → in_progress, paused, blocked, pending (back to waiting) or failed;
- in_progress → completed, failed, queued (a retry is scheduled), blocked or paused;
- paused → pending or queued (resumed), or failed (rejected or abandoned while paused);
- blocked → pending or queued (unblocked), or failed;
- completed is terminal: its deliverable exists, and work redone is a new task;
- failed → queued only, and only as a person's explicit retry once the cause is fixed. The
  executor never makes that move: `after_failure` stops retrying at the attempt limit and
  escalates instead, so the person who was told is the one who decides to try again.

Every move is recorded in the task's append-only execution log under one of `EVENTS`.
A failed attempt is retried after 1 s, 2 s, 4 s, ... (capped); when the attempts are used up
(3 by default, the tasks table's `max_attempts`), the task fails and is escalated to a person.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

EXECUTION_TYPES = ("manual", "semi_automated", "fully_automated")
# The types the executor picks up; manual tasks are done by a person, never by the executor.
AUTOMATED_TYPES = ("semi_automated", "fully_automated")

STATUSES = ("pending", "queued", "in_progress", "paused", "blocked", "completed", "failed")
TRANSITIONS: dict[str, frozenset[str]] = {
    "pending": frozenset({"queued", "in_progress", "paused", "blocked", "failed"}),
    "queued": frozenset({"in_progress", "paused", "blocked", "pending", "failed"}),
    "in_progress": frozenset({"completed", "failed", "queued", "blocked", "paused"}),
    "paused": frozenset({"pending", "queued", "failed"}),
    "blocked": frozenset({"pending", "queued", "failed"}),
    "completed": frozenset(),
    "failed": frozenset({"queued"}),
}

EVENTS = (
    "created",
    "queued",
    "started",
    "progress",
    "completed",
    "failed",
    "blocked",
    "unblocked",
    "paused",
    "resumed",
    "approved",
    "rejected",
    "escalated",
    "retried",
    "snapshot",
)

APPROVAL_STATUSES = ("not_required", "pending", "approved", "rejected", "expired")
DECISIONS = ("approve", "reject")
# A decision only makes sense while the task still waits; once it runs or ends, it is too late.
_DECIDABLE = frozenset({"pending", "queued", "paused", "blocked"})

# Checked first: what needs a person's hands or a system Steward cannot reach. (pattern, why)
BLOCKERS: tuple[tuple[str, str], ...] = (
    (
        r"\b(?:phone|telephone|calls?|ring)\b"
        r"(?!\s+(?:notes|transcripts?|summary|recordings?|logs?|numbers?|to action))",
        "a phone call needs a person",
    ),
    (
        r"\b(?:site visits?|visit (?:the |a |our )?(?:property|site|office|client|customer|store)"
        r"|in[- ]person|on[- ]site)\b",
        "a visit needs a person",
    ),
    (
        r"\b(?:signatures?|countersign|notari[sz]e|sign (?:the |a |an )?"
        r"(?:contract|agreement|lease|document|form)s?)\b",
        "a signature needs a person",
    ),
    (
        r"\b(?:payments?|pay (?:the|an?|our|for)|purchase|buy|procure|wire transfer|refund)\b",
        "a payment or purchase needs a person with access to the accounts",
    ),
    (
        r"\b(?:physical delivery|hand[- ]deliver|courier|ship (?:the|a|an)|drop off"
        r"|post a letter|mail (?:a|the) (?:letter|package|parcel|cheque|check))\b",
        "a physical delivery needs a person",
    ),
    (
        r"\b(?:calendar|slack|whatsapp|sms|text message|fax)\b",
        "it needs a platform Steward has no connection to",
    ),
)


@dataclass(frozen=True)
class SubtaskSpec:
    title: str
    kind: str
    execution_type: str
    depends_on: tuple[int, ...] = ()  # indexes of earlier subtasks in the same playbook


@dataclass(frozen=True)
class Playbook:
    name: str
    triggers: tuple[str, ...]  # every pattern must match
    subtasks: tuple[SubtaskSpec, ...]


PLAYBOOKS: tuple[Playbook, ...] = (
    Playbook(
        "newsletter or campaign launch",
        (r"\b(?:launch|plan|kick ?off)\b", r"\b(?:newsletter|campaign)s?\b"),
        (
            SubtaskSpec("Research the audience and past results", "research", "fully_automated"),
            SubtaskSpec("Draft the campaign content", "content", "fully_automated", (0,)),
            SubtaskSpec("Prepare and send the newsletter", "newsletter", "semi_automated", (1,)),
            SubtaskSpec("Schedule the launch posts", "social", "semi_automated", (1,)),
        ),
    ),
    Playbook(
        "new client onboarding",
        (r"\bonboard(?:ing)?\b", r"\b(?:client|customer|account)s?\b"),
        (
            SubtaskSpec("Send the welcome email", "email", "semi_automated"),
            SubtaskSpec("Research the client's business", "research", "fully_automated"),
            SubtaskSpec("Collect the client's requirements and documents", "general", "manual"),
            SubtaskSpec("Follow up on anything missing", "email", "semi_automated", (0, 2)),
        ),
    ),
    Playbook(
        "social media week",
        (r"\bsocial\b", r"\bweek(?:ly|s)?\b"),
        (
            SubtaskSpec("Pick the week's topics", "research", "fully_automated"),
            SubtaskSpec("Write the week's posts", "content", "fully_automated", (0,)),
            SubtaskSpec("Schedule the posts", "social", "semi_automated", (1,)),
        ),
    ),
    Playbook(
        "SEO refresh",
        (r"\bseo\b", r"\b(?:refresh|audit|overhaul|update)\b"),
        (
            SubtaskSpec("Audit the site's pages and rankings", "seo", "fully_automated"),
            SubtaskSpec("Research keywords", "research", "fully_automated"),
            SubtaskSpec(
                "Rewrite titles and meta descriptions", "content", "fully_automated", (0, 1)
            ),
            SubtaskSpec("Apply the SEO changes", "seo", "semi_automated", (2,)),
        ),
    ),
)


@dataclass(frozen=True)
class Capability:
    """Work Steward can do at once: a verb plus an object, where the task's kind may stand in
    for the object ("Reply to Jane" filed as an email task is an email reply)."""

    what: str
    verb: str
    obj: str
    kinds: frozenset[str] = frozenset()


IMMEDIATE: tuple[Capability, ...] = (
    Capability(
        "draft an email from a template",
        r"\b(?:draft|write|compose|prepare|reply|respond)\b",
        r"\b(?:e-?mails?|repl(?:y|ies)|responses?|letters?|messages?)\b",
        frozenset({"email"}),
    ),
    Capability(
        "summarise notes",
        r"\b(?:summari[sz]e|summary|recap)\b",
        r"\b(?:notes|minutes|meetings?|threads?|conversations?|transcripts?)\b",
    ),
    Capability(
        "generate a report from data",
        r"\b(?:generate|create|build|compile|prepare|produce|run)\b",
        r"\breports?\b",
    ),
)

NO_MATCH = "no playbook or capability matches; needs a person"


class IllegalTransition(ValueError):
    """A status change the task machine does not allow (or a status it does not know)."""


def check_transition(current: str, new: str) -> None:
    for status in (current, new):
        if status not in TRANSITIONS:
            raise IllegalTransition(
                f"unknown task status {status!r}; statuses are {', '.join(STATUSES)}"
            )
    targets = TRANSITIONS[current]
    if new not in targets:
        legal = ", ".join(s for s in STATUSES if s in targets) or "nothing: it is terminal"
        raise IllegalTransition(
            f"a task cannot move from {current} to {new}; from {current} it may go to {legal}"
        )


def approval_refusal(status: str, approval_status: str, decision: str) -> str | None:
    """Why a person may not approve or reject the task now, or None when they may.

    The first decision stands: a second click, a decision after the approval expired or after
    the task ran would otherwise overwrite what was already acted on."""
    if status not in TRANSITIONS:
        raise ValueError(f"unknown task status {status!r}")
    if approval_status not in APPROVAL_STATUSES:
        raise ValueError(f"unknown approval status {approval_status!r}")
    if decision not in DECISIONS:
        raise ValueError(f"unknown decision {decision!r}; decisions are approve, reject")
    if approval_status == "not_required":
        return f"cannot {decision}: the task does not need an approval"
    if approval_status in ("approved", "rejected"):
        return f"cannot {decision}: the task was already {approval_status}"
    if approval_status == "expired":
        return f"cannot {decision}: the approval expired unanswered"
    if status not in _DECIDABLE:
        state = status.replace("_", " ")
        return f"cannot {decision}: the task is already {state}"
    return None


def needs_approval(execution_type: str) -> bool:
    """Semi-automated work waits for a person's yes; fully automated work does not; manual work
    needs none because the executor never runs it (see `AUTOMATED_TYPES`)."""
    if execution_type not in EXECUTION_TYPES:
        raise ValueError(f"unknown execution type {execution_type!r}")
    return execution_type == "semi_automated"


def backoff_seconds(attempt: int, base: float = 1.0, cap: float = 300.0) -> float:
    """The wait after failed attempt number `attempt`: base, 2·base, 4·base, ... up to `cap`,
    so a flaky provider gets room to recover without a task waiting for hours."""
    if attempt < 1:
        raise ValueError(f"attempts count from 1, got {attempt}")
    # The exponent is bounded so a huge attempt number gives the cap, not an overflow.
    return min(cap, base * 2.0 ** min(attempt - 1, 1023))


@dataclass(frozen=True)
class FailureOutcome:
    retry: bool
    next_attempt_at: datetime | None
    escalate: bool
    reason: str


def after_failure(
    attempts: int, max_attempts: int, now: datetime, base: float = 1.0, cap: float = 300.0
) -> FailureOutcome:
    """What to do after a failed attempt; `attempts` counts every attempt made, this one
    included. Retries are kept in the database, so the decision survives a restart."""
    if attempts < 1 or max_attempts < 1:
        raise ValueError(f"attempts and max_attempts count from 1, got {attempts}/{max_attempts}")
    if attempts >= max_attempts:
        return FailureOutcome(
            False,
            None,
            True,
            f"attempt {attempts} of {max_attempts} failed; none left, escalate to a person",
        )
    wait = backoff_seconds(attempts, base, cap)
    return FailureOutcome(
        True,
        now + timedelta(seconds=wait),
        False,
        f"attempt {attempts} of {max_attempts} failed; retrying in {wait:g} s",
    )


@dataclass(frozen=True)
class StrategyDecision:
    mode: str  # immediate | decompose | blocked
    reason: str
    subtasks: tuple[SubtaskSpec, ...] = ()


def choose_strategy(
    title: str, description: str | None, kind: str, handled_kinds: frozenset[str] = frozenset()
) -> StrategyDecision:
    """How a new task gets done: blocked when it needs a person's hands or an unreachable
    system (checked first, so a playbook never schedules a phone call), decomposed when it
    matches a playbook, done at once when it matches a capability or its kind has a handler
    (`handled_kinds`: "Send the welcome pack" filed as an email task), else blocked."""
    text = f"{title}\n{description or ''}"
    for pattern, why in BLOCKERS:
        found = re.search(pattern, text, re.IGNORECASE)
        if found:
            return StrategyDecision("blocked", f"{why} (matched '{found.group(0)}')")
    for playbook in PLAYBOOKS:
        hits = [re.search(p, text, re.IGNORECASE) for p in playbook.triggers]
        if all(hits):
            matched = " + ".join(f"'{hit.group(0)}'" for hit in hits if hit)
            return StrategyDecision(
                "decompose",
                f"matches the {playbook.name} playbook ({matched}): "
                f"{len(playbook.subtasks)} subtasks",
                playbook.subtasks,
            )
    for capability in IMMEDIATE:
        verb = re.search(capability.verb, text, re.IGNORECASE)
        obj = re.search(capability.obj, text, re.IGNORECASE)
        if not verb or not (obj or kind in capability.kinds):
            continue
        parts = [f"'{verb.group(0)}'"]
        if obj is None:
            parts.append(f"kind {kind}")
        elif obj.span() != verb.span():  # "Reply" is both the verb and the object
            parts.append(f"'{obj.group(0)}'")
        return StrategyDecision(
            "immediate", f"Steward can {capability.what} now ({' + '.join(parts)})"
        )
    if kind in handled_kinds:
        return StrategyDecision("immediate", f"the {kind} handler can do it now")
    return StrategyDecision("blocked", NO_MATCH)
