"""The task status machine: the statuses, the moves between them and the events of the log.

A task is work for an agent or a person. Its execution type says who may do it: `manual` tasks
are a person's and the executor never runs them; `semi_automated` tasks run straight away and
what they send waits for a person's approval (the agent drafts, a person approves what leaves;
agent/tasks/approvals.py); `fully_automated` tasks run straight away and are reviewed
afterwards, their sends held only where the gate's own rules hold them.

Statuses move only along `TRANSITIONS`, so a bug or a race cannot, say, complete a task that
never started or revive a completed one:

- pending → queued, in_progress, paused, blocked, or failed (rejected before it ran);
- queued → in_progress, paused, blocked, pending (back to waiting) or failed;
- in_progress → completed, failed, queued (a retry is scheduled), blocked or paused;
- paused → pending or queued (resumed), or failed (rejected or abandoned while paused);
- blocked → pending or queued (unblocked), or failed;
- completed is terminal: its deliverable exists, and work redone is a new task;
- failed → queued only, and only as a person's explicit retry once the cause is fixed. The
  executor never makes that move: `after_failure` (agent.tasks.outcomes) stops retrying at the
  attempt limit and escalates instead, so the person who was told decides to try again.

Every move is recorded in the task's append-only execution log under one of `EVENTS`.
"""

from __future__ import annotations

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
