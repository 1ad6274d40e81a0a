"""Content Steward writes itself, without a language model: drafts and summaries of notes.

An email draft is rendered by the same Jinja2 templates the gate renders mail with, so the draft
a person reads is the message that would go out. Other drafts are markdown assembled from what
the task gives (its text, description, points). A summary is extractive: the sentences whose
words recur most in the notes, in their original order, plus the action items found in them;
nothing is generated, so nothing is made up.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Any

from resources.mailer.render import RenderError, render, sender
from resources.store.schema import tasks
from services.tasks.run import Outcome, TaskRun

EMAIL_WORDS = re.compile(r"\b(?:e-?mails?|letters?|repl(?:y|ies))\b", re.IGNORECASE)
DEFAULT_TEMPLATE = "send_email"
SUMMARY_SENTENCES = 3

ACTION_ITEM = re.compile(
    r"\b(?:todo|to-do)\b|\baction(?: items?)?\s*:|\bfollow[- ]?up\b|\bneeds? to\b", re.IGNORECASE
)
ACTION_PREFIX = re.compile(r"^(?:todo|to-do|action(?: items?)?)\s*:?\s*", re.IGNORECASE)
BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])")
WORD = re.compile(r"[a-z][a-z'-]+")
STOP_WORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing done down during each
    few for from further get got had has have having he her here hers him his how i if in into
    is it its itself just let me more most my no nor not now of off on once only or other our
    ours out over own same she should so some such than that the their theirs them then there
    these they this those through to too under until up us very was we were what when where
    which while who whom why will with would yes you your yours""".split()
)


def email_vars(run: TaskRun) -> dict[str, Any]:
    """The send_email template's variables from the task: subject and body from the context,
    else the title and description; the first name only when the task gives one."""
    description = (run.task["description"] or "").strip()
    variables = {
        "subject": run.text("subject") or run.task["title"],
        "body": run.text("body") or description or run.task["title"],
    }
    if run.text("first_name"):
        variables["first_name"] = run.text("first_name")
    return variables


def draft_content(run: TaskRun) -> Outcome:
    """An email draft when the task names a template or speaks of an email, else a markdown
    draft; written to a file for a person to review."""
    about = f"{run.task['title']} {run.task['description'] or ''}"
    if run.text("template") or EMAIL_WORDS.search(about):
        return _email_draft(run)
    return _markdown_draft(run)


def _email_draft(run: TaskRun) -> Outcome:
    name = run.text("template") or DEFAULT_TEMPLATE
    extra = run.context.get("vars")
    variables = {**email_vars(run), **(extra if isinstance(extra, dict) else {})}
    variables.setdefault("tenant_name", run.tenant.name)
    marketing = bool(run.context.get("marketing"))
    try:
        subject, text, _ = render(name, variables, marketing, run.tenant.settings.signature)
    except RenderError as exc:
        return Outcome("blocked", f"the email draft cannot be rendered: {exc}")
    lines = [
        f"# Email draft: {subject}",
        "",
        f"- To: {run.recipient() or '(recipient to be chosen)'}",
        f"- From: {sender(run.tenant)}",
        f"- Subject: {subject}",
        f"- Template: {name}",
        "",
        "---",
        "",
        text.rstrip(),
    ]
    path = run.write(".md", "\n".join(lines) + "\n")
    return Outcome("completed", f"drafted the email {subject!r} from template {name}", str(path))


def _markdown_draft(run: TaskRun) -> Outcome:
    body = run.text("text", "body") or (run.task["description"] or "").strip() or _brief(run)
    raw_points = run.context.get("points")
    points = [str(p).strip() for p in raw_points or [] if str(p).strip()]
    if not body and not points:
        return Outcome("blocked", "nothing to draft from: no text, description or points given")
    lines = [f"# {run.task['title']}", ""]
    if body:
        lines += [body, ""]
    if points:
        lines += ["## Key points", "", *[f"- {p}" for p in points], ""]
    lines.append(
        f"_Draft by Steward for {run.tenant.name} (task {run.task['id']}); "
        "review it before it is published._"
    )
    path = run.write(".md", "\n".join(lines) + "\n")
    return Outcome("completed", f"drafted {run.task['title']!r} as markdown", str(path))


def _brief(run: TaskRun) -> str:
    """A playbook's subtask ("Draft the campaign content") says what, its parent says about
    what: the parent's description is the brief when the subtask has none of its own."""
    if run.task.get("parent_id") is None:
        return ""
    with run.db.for_tenant(run.tenant.slug) as scope:
        parent = scope.scalar(
            scope.select(tasks.c.description).where(tasks.c.id == run.task["parent_id"])
        )
    return (parent or "").strip()


def summarise_notes(run: TaskRun) -> Outcome:
    notes = run.text("notes") or (run.task["description"] or "").strip()
    sentences = split_sentences(notes)
    if not sentences:
        return Outcome("blocked", "nothing to summarise: the task has no notes or description")
    keep = run.context.get("sentences")
    keep = keep if isinstance(keep, int) and keep > 0 else SUMMARY_SENTENCES
    actions = action_items(sentences)
    kept = key_sentences([s for s in sentences if not ACTION_ITEM.search(s)], keep)
    lines = [f"# Summary: {run.task['title']}", ""]
    lines += [" ".join(kept) if kept else "(the notes hold only action items)", ""]
    lines += ["## Action items", ""]
    lines += [f"- {a}" for a in actions] or ["None found."]
    lines += [
        "",
        f"_Extractive summary of {len(sentences)} sentences: those whose words recur most in "
        "the notes, in their original order; nothing was generated._",
    ]
    path = run.write(".md", "\n".join(lines) + "\n")
    detail = f"summarised {len(sentences)} sentences to {len(kept)}, {len(actions)} action item(s)"
    return Outcome("completed", detail, str(path))


def split_sentences(text: str) -> list[str]:
    """Lines first (notes are often bullet lists), then sentences within a line."""
    sentences = []
    for line in text.splitlines():
        line = BULLET.sub("", line).strip()
        sentences += [s.strip() for s in SENTENCE_END.split(line) if s.strip()]
    return sentences


def action_items(sentences: list[str]) -> list[str]:
    return [ACTION_PREFIX.sub("", s) for s in sentences if ACTION_ITEM.search(s)]


def key_sentences(sentences: list[str], keep: int) -> list[str]:
    """The `keep` best sentences in their original order. A sentence scores the frequencies of
    its distinct content words, divided by the root of their number so that neither long nor
    short sentences win by length alone; ties go to the earlier sentence."""
    words = [_content_words(s) for s in sentences]
    frequency = Counter(w for ws in words for w in ws)
    scores = [
        sum(frequency[w] for w in set(ws)) / math.sqrt(len(set(ws))) if ws else 0.0 for ws in words
    ]
    best = sorted(range(len(sentences)), key=lambda i: (-scores[i], i))[:keep]
    return [sentences[i] for i in sorted(best)]


def _content_words(sentence: str) -> list[str]:
    return [w for w in WORD.findall(sentence.lower()) if w not in STOP_WORDS]
