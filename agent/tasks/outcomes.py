"""What becomes of a task after work: a failed attempt is retried after a backoff or, with no
attempts left (3 by default, the tasks table's `max_attempts`), fails and is escalated to a
person. Retries are kept in the database, so the decision survives a restart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from agent.retry import backoff_seconds

# A task's waits: 1 s, 2 s, 4 s, ... up to five minutes.
FIRST_WAIT_S = 1.0
LAST_WAIT_S = 300.0


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
