"""One backoff rule for every business-level retry kept in the database: a task's attempts and
an outbox row's deliveries. The wait doubles with each failed attempt up to a cap, so a flaky
provider gets room to recover and nothing waits for hours. Each caller passes its own base and
cap (a task retries within seconds, a delivery within minutes); the rule is this one."""

from __future__ import annotations

from datetime import datetime, timedelta


def backoff_seconds(attempt: int, base: float, cap: float) -> float:
    """The wait after failed attempt number `attempt`: base, 2·base, 4·base, ... up to `cap`."""
    if attempt < 1:
        raise ValueError(f"attempts count from 1, got {attempt}")
    # The exponent is bounded so a huge attempt number gives the cap, not an overflow.
    return min(cap, base * 2.0 ** min(attempt - 1, 1023))


# A delivery (an outbox row) is tried at most this often, waiting a minute after the first
# failure, doubling, at most an hour: a provider outage of a few hours is ridden out.
DELIVERY_ATTEMPTS = 5
DELIVERY_FIRST_WAIT = timedelta(minutes=1)
DELIVERY_LAST_WAIT = timedelta(hours=1)


# Mail waiting for its configuration (a sender address, an SMTP server) is looked at again this
# often, its attempts uncounted: it goes within minutes of the owner's fix, and a tenant left
# misconfigured for days costs one look every few minutes instead of one every dispatch pass.
CONFIG_RECHECK = timedelta(minutes=5)


def next_delivery(attempts: int, now: datetime) -> datetime | None:
    """When a delivery that failed `attempts` times (this one included) is due again; None when
    the attempts are used up and the row fails."""
    if attempts >= DELIVERY_ATTEMPTS:
        return None
    wait = backoff_seconds(
        attempts, DELIVERY_FIRST_WAIT.total_seconds(), DELIVERY_LAST_WAIT.total_seconds()
    )
    return now + timedelta(seconds=wait)
