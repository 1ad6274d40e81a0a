"""The cadence rules and the business calendar they count in, with fixed clocks: a DST change,
Thanksgiving and a weekend, deferred steps that shift the later ones, out-of-office, maximums,
stops and pauses."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from agent.cadence import Cadence, Enrollment, Step, next_step
from agent.calendar import BusinessCalendar, supported

NY = ZoneInfo("America/New_York")
US = BusinessCalendar("America/New_York", "US", None, opens_at=8)
QUOTES = Cadence("quote_follow_up", "quote", tuple(
    Step(3, "quote_follow_up", u) for u in ("normal", "normal", "firm", "final")))


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=NY)


def test_business_days_skip_weekends_and_public_holidays_in_local_time():
    # Wednesday before Thanksgiving (Thursday 26 Nov 2026): one business day on is Friday.
    assert US.add_business_days(local(2026, 11, 25, 10), 1) == local(2026, 11, 27, 8)
    assert US.closed(date(2026, 11, 26)) == "public holiday: Thanksgiving Day"
    assert US.closed(date(2026, 11, 28)) == "Saturday"
    # Three business days from Wednesday: Fri, Mon, Tue.
    assert US.add_business_days(local(2026, 11, 25, 10), 3) == local(2026, 12, 1, 8)
    assert US.business_days_between(local(2026, 11, 25, 10), local(2026, 12, 1, 9)) == 3


def test_a_dst_change_moves_no_step_off_the_local_opening():
    # DST ends Sunday 1 Nov 2026: Friday 8:00 EDT is 12:00 UTC, Monday 8:00 EST is 13:00 UTC.
    friday = US.add_business_days(local(2026, 10, 29, 15), 1)
    monday = US.add_business_days(local(2026, 10, 30, 15), 1)
    assert friday.astimezone(UTC).hour == 12 and monday.astimezone(UTC).hour == 13
    assert monday.astimezone(NY).hour == 8 and monday.astimezone(NY).date() == date(2026, 11, 2)


def test_zero_days_is_now_when_open_else_the_next_opening():
    assert US.add_business_days(local(2026, 11, 24, 10), 0) == local(2026, 11, 24, 10)
    assert US.add_business_days(local(2026, 11, 24, 6), 0) == local(2026, 11, 24, 8)
    assert US.add_business_days(local(2026, 11, 26, 10), 0) == local(2026, 11, 27, 8)


def test_weekend_tenants_and_subdivisions():
    works_saturdays = BusinessCalendar("America/New_York", "US", weekends=True)
    assert works_saturdays.add_business_days(local(2026, 11, 27, 10), 1) == local(2026, 11, 28, 8)
    bavaria = BusinessCalendar("Europe/Berlin", "DE", "BY")
    assert bavaria.closed(date(2026, 1, 6)) == "public holiday: Epiphany"
    assert BusinessCalendar("Europe/Berlin", "DE", "BE").closed(date(2026, 1, 6)) is None
    assert supported("XX", None).startswith("unknown holiday country 'XX'")
    assert supported("US", "ZZ").startswith("unknown subdivision 'ZZ' of US")
    assert supported("US", "CA") is None


def enrollment(**fields) -> Enrollment:
    base = {"id": 1, "entity_id": 7, "started_at": local(2026, 11, 23, 9), "status": "active",
            "steps_planned": 0}
    return Enrollment(**{**base, **fields})


def test_steps_are_spaced_from_when_the_previous_one_went_out():
    started = enrollment()
    assert next_step(QUOTES, started, None, local(2026, 11, 25, 12), US).until == local(
        2026, 11, 27, 8)  # Mon + 3 business days, Thanksgiving skipped: Friday
    due = next_step(QUOTES, started, None, local(2026, 11, 27, 8), US)
    assert due.step == 1 and QUOTES.key(7, 1) == "quote_follow_up:quote:7:1"
    # Step 1 waited for the send window and went out on Monday: step 2 counts from Monday.
    after_one = enrollment(steps_planned=1, last_settled_at=local(2026, 11, 30, 8, 5))
    assert next_step(QUOTES, after_one, None, local(2026, 12, 2, 12), US).until == local(
        2026, 12, 3, 8)


def test_an_unsettled_step_holds_the_next_and_the_maximum_completes():
    pending = enrollment(steps_planned=1, last_pending="awaiting approval")
    held = next_step(QUOTES, pending, None, local(2026, 12, 20, 12), US)
    assert held.step is None and held.why == "step 1 not settled yet: awaiting approval"
    done = enrollment(steps_planned=4, last_settled_at=local(2026, 12, 10, 8))
    assert next_step(QUOTES, done, None, local(2026, 12, 30, 12), US).status == "completed"
    assert [s.priority for s in QUOTES.steps] == [50, 50, 60, 70]


def test_out_of_office_defers_to_the_first_business_day_after_the_return_date():
    away = enrollment(away_until=date(2026, 11, 27))  # back Friday: next business day Monday
    decision = next_step(QUOTES, away, None, local(2026, 11, 27, 9), US)
    assert decision.until == local(2026, 11, 30, 8)
    assert decision.why == ("step 1 deferred until 2026-11-30: out of office until 2026-11-27")
    assert next_step(QUOTES, away, None, local(2026, 11, 30, 8), US).step == 1


@pytest.mark.parametrize(("status", "stop", "expected"), [
    ("active", "reply from the contact at 2026-11-24 10:00", ("stopped", None)),
    ("paused", None, (None, None)),
    ("stopped", None, ("stopped", None)),
])
def test_stops_and_pauses_propose_nothing(status, stop, expected):
    decision = next_step(QUOTES, enrollment(status=status), stop,
                         local(2026, 12, 30, 12) + timedelta(days=1), US)
    assert (decision.status, decision.step) == expected
    assert decision.why
