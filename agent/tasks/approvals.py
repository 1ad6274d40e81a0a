"""Who approves what: which work waits for a person's yes, and whether a decision may still be
made on a task (the first decision stands)."""

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
