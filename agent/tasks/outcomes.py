"""What becomes of a task after work: a failed attempt is retried after a backoff or, with no
attempts left (3 by default, the tasks table's `max_attempts`), fails and is escalated to a
person; retries are kept in the database, so the decision survives a restart. A decomposed task
is done when its subtasks are (`roll_up`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from agent.retry import backoff_seconds

# A task's waits: 1 s, 2 s, 4 s, ... up to five minutes.
FIRST_WAIT_S = 1.0
LAST_WAIT_S = 300.0
# A task whose work waits on someone else (an action the gate deferred without a time, one
# being decided right now) is looked at again after this.
RECHECK = timedelta(minutes=15)
# The task a person gets when work failed for good comes before everything else.
ESCALATION_PRIORITY = 100
# An executor pass runs at most this many tasks per tenant, each for at most this long unless
# the task sets its own timeout.
BATCH_LIMIT = 10
TIMEOUT_S = 60.0


@dataclass(frozen=True)
class FailureOutcome:
    retry: bool
    next_attempt_at: datetime | None
    escalate: bool
    reason: str


def after_failure(
    attempts: int,
    max_attempts: int,
    now: datetime,
    base: float = FIRST_WAIT_S,
    cap: float = LAST_WAIT_S,
) -> FailureOutcome:
    """What to do after a failed attempt; `attempts` counts every attempt made, this one
    included."""
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
class RollUp:
    status: str  # completed | blocked
    reason: str
    deliverable: str | None = None


def roll_up(subtasks: Sequence[tuple[int, str, str | None]]) -> RollUp | None:
    """What a decomposed task becomes from its subtasks, (id, status, deliverable) in id order:
    blocked when one failed, since the playbook's next steps may need it and a person must
    decide how to go on; completed with all their deliverables when every one completed; None
    while work remains."""
    failed = [task_id for task_id, status, _ in subtasks if status == "failed"]
    if failed:
        return RollUp("blocked", f"subtask {failed[0]} failed; a person must decide how to go on")
    if subtasks and all(status == "completed" for _, status, _ in subtasks):
        made = "; ".join(made for _, _, made in subtasks if made) or None
        return RollUp("completed", f"all {len(subtasks)} subtasks completed", made)
    return None
