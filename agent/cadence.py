"""Cadences: the follow-up sequences the engines run (deals, quotes, feedback; compliance and
broadcasts later), as pure rules over one enrollment at a time.

A cadence is an ordered list of steps, each a number of business days after the previous step
went out (the first: after the enrollment began), with its template and urgency, and a maximum.
Offsets count from when the previous step was *sent*, so a step the policy deferred (send
window, out-of-office, touch gap) or a person held for approval pushes the later ones back
instead of bunching them. A step is planned only once the previous one is settled (sent, or
finally not sent, with the reason); its idempotency key is (cadence, entity, step), which is also
its outbox key, so a rerun of the hour, a backfill or a pause and resume can never send it twice.

Stop rules are facts about the world the services layer reads (a reply from the contact or on
the thread, a bounce or opt-out, the entity's outcome, an open case); the first that holds stops
the enrollment, when planning and again just before dispatch. Every step not sent says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from agent.calendar import BusinessCalendar

# Urgency escalates the template and the priority of a step.
URGENCY_PRIORITY = {"normal": 50, "firm": 60, "final": 70}


@dataclass(frozen=True)
class Step:
    after_days: int  # business days after the previous step was sent (the first: enrollment)
    template: str
    urgency: str = "normal"  # normal | firm | final

    @property
    def priority(self) -> int:
        return URGENCY_PRIORITY[self.urgency]


@dataclass(frozen=True)
class Cadence:
    name: str  # deal_follow_up, quote_follow_up, feedback_request...
    entity: str  # deal | quote | order
    steps: tuple[Step, ...]
    kind: str = "follow_up"  # the action kind each step proposes

    @property
    def maximum(self) -> int:
        return len(self.steps)

    def key(self, entity_id: int, step: int, round_: int = 1) -> str:
        """The step's idempotency key, which is also its outbox key; a later enrollment of the
        same entity (`round_`) gets keys of its own."""
        entity = f"{entity_id}" if round_ == 1 else f"{entity_id}.{round_}"
        return f"{self.name}:{self.entity}:{entity}:{step}"


@dataclass(frozen=True)
class Enrollment:
    """What the rules need of one enrollment and its latest step, read in one pass."""

    id: int
    entity_id: int
    started_at: datetime
    status: str  # active | paused | stopped | completed
    steps_planned: int  # steps proposed so far (the next is steps_planned + 1)
    last_settled_at: datetime | None = None  # when the latest step was sent or finally refused
    last_pending: str | None = None  # the latest step is still on its way: why (for the record)
    away_until: date | None = None  # the contact's out-of-office return date


@dataclass(frozen=True)
class Next:
    """The decision for one enrollment this hour: propose `step` now, or wait (`until`, why), or
    end (`status` stopped/completed, why)."""

    step: int | None = None
    until: datetime | None = None
    status: str | None = None  # stopped | completed, when the enrollment ends now
    why: str = ""


def next_step(
    cadence: Cadence, enrollment: Enrollment, stop: str | None, now: datetime,
    calendar: BusinessCalendar,
) -> Next:
    """What happens to this enrollment at `now`. `stop` is the first stop rule that holds (the
    services layer reads it), else None."""
    if enrollment.status in ("stopped", "completed"):
        return Next(status=enrollment.status, why=f"already {enrollment.status}")
    if stop:
        return Next(status="stopped", why=stop)
    if enrollment.status == "paused":
        return Next(why="paused")
    if enrollment.last_pending:
        return Next(why=f"step {enrollment.steps_planned} not settled yet: "
                        f"{enrollment.last_pending}")
    if enrollment.steps_planned >= cadence.maximum:
        return Next(status="completed", why=f"all {cadence.maximum} steps done")
    number = enrollment.steps_planned + 1
    base = enrollment.last_settled_at or enrollment.started_at
    due = calendar.add_business_days(base, cadence.steps[number - 1].after_days)
    why = f"step {number} due {due:%Y-%m-%d %H:%M %Z}"
    if enrollment.away_until and calendar.local_date(due) <= enrollment.away_until:
        back = calendar.next_open_day(enrollment.away_until + timedelta(days=1))
        due = calendar.opening(back)
        why = f"step {number} deferred until {back}: out of office until {enrollment.away_until}"
    if due > now:
        return Next(until=due, why=why)
    return Next(step=number, why=f"step {number} of {cadence.maximum} due since "
                                  f"{due:%Y-%m-%d %H:%M %Z}")
