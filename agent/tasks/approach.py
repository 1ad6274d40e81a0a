"""How a new task gets done, and why: immediate (a handler can do it now), decompose (a playbook
splits it into subtasks with their own execution types and dependencies) or blocked (it needs a
person's hands or a system Steward cannot reach). Blockers are checked first, so a playbook
never schedules a phone call. A task filed without a kind (`GENERAL`) that a capability matched
becomes that capability's kind of work, so the handler that can do it runs it."""

from __future__ import annotations

import re
from dataclasses import dataclass

# The kind of a task filed without one (the CLI's default): no handler does "general" work.
GENERAL = "general"

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
    for the object ("Reply to Jane" filed as an email task is an email reply). `kind` is the
    kind of work it is, for a task filed without one."""

    what: str
    verb: str
    obj: str
    kind: str
    kinds: frozenset[str] = frozenset()


IMMEDIATE: tuple[Capability, ...] = (
    Capability(
        "draft an email from a template",
        r"\b(?:draft|write|compose|prepare|reply|respond)\b",
        r"\b(?:e-?mails?|repl(?:y|ies)|responses?|letters?|messages?)\b",
        "content",
        frozenset({"email"}),
    ),
    Capability(
        "summarise notes",
        r"\b(?:summari[sz]e|summary|recap)\b",
        r"\b(?:notes|minutes|meetings?|threads?|conversations?|transcripts?)\b",
        "summary",
    ),
    Capability(
        "generate a report from data",
        r"\b(?:generate|create|build|compile|prepare|produce|run)\b",
        r"\breports?\b",
        "analysis",
    ),
)

NO_MATCH = "no playbook or capability matches; needs a person"

ADDRESS = re.compile(r"[a-z0-9._%+'-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}", re.IGNORECASE)


def named_recipient(title: str, description: str | None) -> str | None:
    """The address a task's words name ("Draft email to john@example.com thanking him"), when
    they name exactly one; with two or more, who it is for is a person's choice, never a guess."""
    found = {a.lower() for a in ADDRESS.findall(f"{title}\n{description or ''}")}
    return found.pop() if len(found) == 1 else None


@dataclass(frozen=True)
class ApproachDecision:
    mode: str  # immediate | decompose | blocked
    reason: str
    subtasks: tuple[SubtaskSpec, ...] = ()
    kind: str | None = None  # the capability's kind of work, when a capability decided

    def task_kind(self, filed_as: str) -> str:
        """The kind the task is stored as: the kind it was filed with, unless it was filed
        without one and a capability says what work it is ("Draft email to John" is a content
        task: its handler writes the draft)."""
        return self.kind if filed_as == GENERAL and self.kind else filed_as


def choose_approach(
    title: str, description: str | None, kind: str, handled_kinds: frozenset[str] = frozenset()
) -> ApproachDecision:
    """How a new task gets done: blocked when it needs a person's hands or an unreachable
    system (checked first, so a playbook never schedules a phone call), decomposed when it
    matches a playbook, done at once when it matches a capability or its kind has a handler
    (`handled_kinds`: "Send the welcome pack" filed as an email task), else blocked."""
    text = f"{title}\n{description or ''}"
    for pattern, why in BLOCKERS:
        found = re.search(pattern, text, re.IGNORECASE)
        if found:
            return ApproachDecision("blocked", f"{why} (matched '{found.group(0)}')")
    for playbook in PLAYBOOKS:
        hits = [re.search(p, text, re.IGNORECASE) for p in playbook.triggers]
        if all(hits):
            matched = " + ".join(f"'{hit.group(0)}'" for hit in hits if hit)
            return ApproachDecision(
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
        return ApproachDecision(
            "immediate",
            f"Steward can {capability.what} now ({' + '.join(parts)})",
            kind=capability.kind,
        )
    if kind in handled_kinds:
        return ApproachDecision("immediate", f"the {kind} handler can do it now")
    return ApproachDecision("blocked", NO_MATCH)
