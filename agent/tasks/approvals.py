"""Who approves what: which of a task's results waits for a person's yes, what the task does
once the person answered, and whether a decision may still be made (the first decision stands).

The approval belongs to what leaves Steward, not to the work: the seed's semi-automated work
(seed 004, "Execution Types" and "Smart Task Routing") is "AI drafts, human reviews and sends",
"Semi-auto: AI drafts, human approves", so Steward does the work at once and a person approves
the send. The send is held by the gate as an approval task (services/gate.py), like any action
waiting for a person, and its answer is carried to the task that proposed it
(`after_send_decision`).
"""

from __future__ import annotations

from agent.tasks.machine import EXECUTION_TYPES, TRANSITIONS

APPROVAL_STATUSES = ("not_required", "pending", "approved", "rejected", "expired")
DECISIONS = ("approve", "reject")
# A decision only makes sense while the task still waits; once it runs or ends, it is too late.
_DECIDABLE = frozenset({"pending", "queued", "paused", "blocked"})


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
        return (
            f"cannot {decision}: nothing of the task waits for an approval "
            "(a send waits only once the task has run and proposed it)"
        )
    if approval_status in ("approved", "rejected"):
        return f"cannot {decision}: the task was already {approval_status}"
    if approval_status == "expired":
        return f"cannot {decision}: the approval expired unanswered"
    if status not in _DECIDABLE:
        state = status.replace("_", " ")
        return f"cannot {decision}: the task is already {state}"
    return None


def needs_approval(execution_type: str, leaves: bool) -> bool:
    """Whether a person must approve the task's result before it leaves Steward, whatever the
    tenant's approval tiers say; `leaves` is whether the result leaves at all (mail sent, a
    post, a newsletter, a change to the site or the ads account) rather than being stored (a
    draft, a summary, a report, a brief).

    A stored result needs nobody's yes: it is reviewed afterwards, which is what the seed asks
    of drafts (its Scenario 1: "Draft email to john@example.com thanking him for the meeting"
    -> drafted -> completed -> "User reviews and sends"). What a semi-automated task sends
    waits for a person ("Semi-Automated: AI drafts, human reviews and sends"). A fully
    automated task's send goes by the gate's own rules alone, which still hold a one-off
    customer email or a sensitive kind for a person. Manual work is a person's and the executor
    never runs it, so nothing of it leaves.
    """
    if execution_type not in EXECUTION_TYPES:
        raise ValueError(f"unknown execution type {execution_type!r}")
    return leaves and execution_type == "semi_automated"


SEND_VERDICTS = ("approved", "rejected", "expired")


def after_send_decision(status: str, verdict: str) -> tuple[str | None, str]:
    """What a task does once the person answered the send it proposed: the status it moves to
    (None: it stays) and the event its log records.

    Approved, a task blocked on the send is queued to finish: run again, its handler finds the
    send decided under the same key and completes (or waits, or blocks) as the gate's new answer
    says; a task not blocked (paused by a person meanwhile) keeps its status. Rejected or
    expired, nothing of it left, so a task that has not ended fails with the reason; an ended
    one only records the answer."""
    if status not in TRANSITIONS:
        raise ValueError(f"unknown task status {status!r}")
    if verdict not in SEND_VERDICTS:
        raise ValueError(f"unknown verdict {verdict!r}; verdicts are {', '.join(SEND_VERDICTS)}")
    if verdict == "approved":
        return ("queued" if status == "blocked" else None), "approved"
    event = "rejected" if verdict == "rejected" else "failed"
    return (None if status in ("completed", "failed") else "failed"), event
