"""The compliance rules (agent/compliance.py): due dates per frequency with month ends and leap
years, the notification window, field validation, where a check stands, schedule filters."""

from __future__ import annotations

from datetime import date

import pydantic
import pytest

from agent.compliance import (
    DEFAULT_FIELDS,
    FieldRule,
    ScheduleSpec,
    current_due,
    due_dates,
    matches,
    problems,
    standing,
)


def spec(frequency: str, first_due: date, **values) -> ScheduleSpec:
    return ScheduleSpec(name="vendor verification", frequency=frequency, first_due=first_due,
                        **values)


@pytest.mark.parametrize(("frequency", "first", "expected"), [
    ("monthly", date(2027, 12, 31),
     ["2027-12-31", "2028-01-31", "2028-02-29", "2028-03-31", "2028-04-30"]),
    ("monthly", date(2026, 1, 30), ["2026-01-30", "2026-02-28", "2026-03-30", "2026-04-30"]),
    ("quarterly", date(2027, 11, 30), ["2027-11-30", "2028-02-29", "2028-05-30", "2028-08-30"]),
    ("semiannual", date(2026, 8, 31), ["2026-08-31", "2027-02-28", "2027-08-31", "2028-02-29"]),
    ("annual", date(2028, 2, 29), ["2028-02-29", "2029-02-28", "2030-02-28", "2031-02-28",
                                   "2032-02-29"]),
    ("quarterly", date(2026, 3, 15), ["2026-03-15", "2026-06-15", "2026-09-15"]),
])
def test_due_dates_keep_the_day_or_take_the_months_last(frequency, first, expected):
    until = date.fromisoformat(expected[-1])
    assert [d.isoformat() for d in due_dates(spec(frequency, first), until)] == expected


def test_a_check_opens_with_its_window_and_a_long_past_period_is_not_opened():
    quarterly = spec("quarterly", date(2026, 3, 31))  # notify 14 days, escalate after 7
    assert current_due(quarterly, date(2026, 3, 16)) is None
    assert current_due(quarterly, date(2026, 3, 17)) == date(2026, 3, 31)
    assert current_due(quarterly, date(2026, 6, 16)) == date(2026, 6, 30)
    assert current_due(quarterly, date(2026, 5, 1)) == date(2026, 3, 31)
    # Created on 1 May: 31 March was a month past its escalation, so nothing opens before June.
    assert current_due(quarterly, date(2026, 5, 1), since=date(2026, 5, 1)) is None
    assert current_due(quarterly, date(2026, 6, 16), since=date(2026, 5, 1)) == date(2026, 6, 30)
    # Created four days after a due date: that period is still opened (overdue, not escalated).
    assert current_due(quarterly, date(2026, 4, 4), since=date(2026, 4, 4)) == date(2026, 3, 31)


def test_fields_must_be_present_readable_and_current_on_the_day_that_counts():
    fields = list(DEFAULT_FIELDS)
    good = {"license_number": "CR-1", "license_expiry": "2027-03-31",
            "eo_insurance_expiry": "03/31/2027", "w9_on_file": "2026-01-10",
            "signed_agreement": True}
    assert problems(good, fields, date(2026, 6, 30)) == []
    assert problems({**good, "license_expiry": "2026-06-01", "w9_on_file": "no",
                     "eo_insurance_expiry": "soon", "license_number": " "},
                    fields, date(2026, 6, 30)) == [
        "license number missing", "license expiry expired on 2026-06-01",
        "E&O insurance expiry 'soon' is not a date", "W-9 on file missing"]
    assert problems(None, [FieldRule(name="bond", kind="flag")], date(2026, 1, 1)) == [
        "bond missing"]


def test_where_a_check_stands():
    quarterly = spec("quarterly", date(2026, 3, 31))
    check = {"status": "open", "due_on": date(2026, 3, 31), "waived_until": None}
    assert standing(check, quarterly, date(2026, 3, 20)).state == "due_soon"
    assert standing(check, quarterly, date(2026, 4, 3)).why == "3 days overdue"
    assert standing(check, quarterly, date(2026, 4, 7)).state == "escalate"
    waived = {**check, "status": "waived", "waived_until": date(2026, 4, 30), "waived_by": "kim"}
    assert standing(waived, quarterly, date(2026, 4, 30)).state == "waived"
    ran_out = standing(waived, quarterly, date(2026, 5, 1))
    assert ran_out.state == "reopen" and "kim" in ran_out.why


def test_a_filter_matches_columns_and_profile_keys_without_case():
    account = {"name": "Brook Bank", "industry": "Lending", "profile": {"tier": "A"}}
    assert matches(account, {"industry": "lending", "profile.tier": "a"})
    assert not matches(account, {"industry": "insurance"})
    assert not matches(account, {"profile.region": "west"})


@pytest.mark.parametrize(("values", "error"), [
    ({"frequency": "weekly"}, "frequency"),
    ({"filter": {"colour": "red"}}, "cannot name 'colour'"),
    ({"fields": [{"name": "w9", "kind": "flag"}, {"name": "w9"}]}, "named twice: w9"),
    ({"fields": [{"name": "w9", "kind": "signature"}]}, "kind"),
    ({"notify_days": -1}, "notify_days"),
])
def test_a_bad_schedule_is_refused_with_the_reason(values, error):
    with pytest.raises(pydantic.ValidationError, match=error):
        ScheduleSpec.model_validate({"name": "x", "frequency": "quarterly",
                                     "first_due": "2026-03-31", **values})
