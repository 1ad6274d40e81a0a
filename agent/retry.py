"""One backoff rule for every business-level retry kept in the database: a task's attempts and
an outbox row's deliveries. The wait doubles with each failed attempt up to a cap, so a flaky
provider gets room to recover and nothing waits for hours. Each caller passes its own base and
cap (a task retries within seconds, a delivery within minutes); the rule is this one."""

from __future__ import annotations


def backoff_seconds(attempt: int, base: float, cap: float) -> float:
    """The wait after failed attempt number `attempt`: base, 2·base, 4·base, ... up to `cap`."""
    if attempt < 1:
        raise ValueError(f"attempts count from 1, got {attempt}")
    # The exponent is bounded so a huge attempt number gives the cap, not an overflow.
    return min(cap, base * 2.0 ** min(attempt - 1, 1023))
