"""Compliance checks: recurring verification of an account's or a contact's profile (license,
E&O insurance, W-9, signed agreement), as pure rules.

A schedule names a frequency (monthly, quarterly, semi-annual, annual) and the date its first
check falls due; each later one falls due on the same day of the month, or on the month's last
day where that day does not exist (a schedule anchored on 31 January falls due on 30 April, and
one anchored on 29 February on 28 February in the years between). Each entity the schedule
targets gets one check per period, opened `notify_days` before it is due (only the latest
period whose window has opened, and none that was past its escalation when the schedule was
created: a schedule anchored years ago does not open every past period).

A check's required fields are read from the entity's profile: a text must be there, a date must
be readable and not passed on the day that counts (the due date, or today once past it), a flag
must be set. Once they are all valid the check completes by itself; past its due date it is
overdue, and `escalate_after_days` past it, it goes to the tenant's manager as a human task (the
policy's `compliance_due` basis). A person may complete it, or waive it until a date (who and
why are kept); a waiver that has run out opens the check again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

from dateutil import parser as date_parser
from dateutil.rrule import MONTHLY, rrule
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Frequency = Literal["monthly", "quarterly", "semiannual", "annual"]
MONTHS: dict[str, int] = {"monthly": 1, "quarterly": 3, "semiannual": 6, "annual": 12}
Target = Literal["account", "contact"]
# What an entity column a schedule's filter may name holds (a profile key may be named too,
# as `profile.KEY`).
FILTER_COLUMNS: dict[str, tuple[str, ...]] = {
    "account": ("name", "industry", "billing_type", "active", "terms"),
    "contact": ("title", "company", "source", "email_domain", "account"),
}
CLOSED = ("complete", "waived", "cancelled")
FALSE_WORDS = ("", "no", "false", "0", "n", "none", "missing")


class FieldRule(BaseModel):
    """A profile field a check requires: `text` present, `date` present and not expired, `flag`
    set (true, yes, or the date it was received)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=80, pattern=r"^[a-z][a-z0-9_]*$")
    kind: Literal["text", "date", "flag"] = "text"
    label: str = ""

    @property
    def title(self) -> str:
        return self.label or self.name.replace("_", " ")


# What an appraisal business verifies of a vendor or client account, unless the tenant says
# otherwise.
DEFAULT_FIELDS: tuple[FieldRule, ...] = (
    FieldRule(name="license_number", kind="text", label="license number"),
    FieldRule(name="license_expiry", kind="date", label="license expiry"),
    FieldRule(name="eo_insurance_expiry", kind="date", label="E&O insurance expiry"),
    FieldRule(name="w9_on_file", kind="flag", label="W-9 on file"),
    FieldRule(name="signed_agreement", kind="flag", label="signed agreement"),
)


class ScheduleSpec(BaseModel):
    """One tenant's recurring check: what it targets, what it requires and when."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=120)
    frequency: Frequency
    first_due: date
    target: Target = "account"
    filter: dict[str, str | int | float | bool] = Field(default_factory=dict)
    fields: list[FieldRule] = Field(default_factory=lambda: list(DEFAULT_FIELDS), min_length=1)
    notify_days: int = Field(14, ge=0, le=180)
    escalate_after_days: int = Field(7, ge=0, le=365)
    reminder_every_days: int = Field(5, ge=1, le=60)  # business days between reminders
    max_reminders: int = Field(3, ge=0, le=10)

    @field_validator("fields")
    @classmethod
    def _unique_fields(cls, fields: list[FieldRule]) -> list[FieldRule]:
        names = [f.name for f in fields]
        doubled = sorted({n for n in names if names.count(n) > 1})
        if doubled:
            raise ValueError(f"required field named twice: {', '.join(doubled)}")
        return fields

    @model_validator(mode="after")
    def _known_filter(self) -> ScheduleSpec:
        known = FILTER_COLUMNS[self.target]
        for key in self.filter:
            if not key.startswith("profile.") and key not in known:
                raise ValueError(
                    f"a {self.target} filter cannot name {key!r}: use one of "
                    f"{', '.join(known)} or profile.KEY"
                )
        return self


@dataclass(frozen=True)
class Standing:
    """Where a check stands on a day: `state` is due_soon, overdue, escalate (overdue past the
    escalation delay), complete, waived, cancelled or reopen (its waiver has run out)."""

    state: str
    why: str


def due_dates(spec: ScheduleSpec, until: date) -> list[date]:
    """Every due date of the schedule from its first up to `until`."""
    if until < spec.first_due:
        return []
    day = spec.first_due.day
    # The anchor's day, or the month's last day where it has none (bysetpos takes the first).
    monthday = (day,) if day <= 28 else (day, -1)
    rule = rrule(MONTHLY, interval=MONTHS[spec.frequency], dtstart=spec.first_due,
                 bymonthday=monthday, bysetpos=1 if day > 28 else None)
    return [d.date() for d in rule.between(_midnight(spec.first_due), _midnight(until), inc=True)]


def current_due(spec: ScheduleSpec, today: date, since: date | None = None) -> date | None:
    """The due date of the period a check should be open for today: the latest whose
    notification window has opened (None before the first one opens). A period that was
    already past its escalation when the schedule was created (`since`) is not opened: a
    schedule anchored long ago starts with its coming period, not with a task per entity."""
    dates = due_dates(spec, today + timedelta(days=spec.notify_days))
    if not dates:
        return None
    if since is not None and dates[-1] + timedelta(days=spec.escalate_after_days) < since:
        return None
    return dates[-1]


def problems(profile: dict[str, Any] | None, fields: list[FieldRule], as_of: date) -> list[str]:
    """What is wrong with the profile for these fields on `as_of`, one line each (empty: valid)."""
    profile = profile or {}
    found = []
    for rule in fields:
        value = profile.get(rule.name)
        text = "" if value is None else str(value).strip()
        if rule.kind == "flag":
            if value is not True and text.lower() in FALSE_WORDS:
                found.append(f"{rule.title} missing")
            continue
        if not text:
            found.append(f"{rule.title} missing")
        elif rule.kind == "date":
            expires = read_date(text)
            if expires is None:
                found.append(f"{rule.title} {text!r} is not a date")
            elif expires < as_of:
                found.append(f"{rule.title} expired on {expires.isoformat()}")
    return found


def read_date(text: str) -> date | None:
    """A date as people write them in a profile (2027-03-31, 03/31/2027, March 31 2027)."""
    try:
        return date_parser.parse(text).date()
    except (ValueError, OverflowError, TypeError):
        return None


def standing(check: dict[str, Any], spec: ScheduleSpec, today: date) -> Standing:
    """`check` has status, due_on, waived_until and waived_by."""
    status, due = check["status"], check["due_on"]
    if status == "waived":
        until = check.get("waived_until")
        if until is not None and until < today:
            return Standing("reopen", f"the waiver by {check.get('waived_by') or '-'} ran out on "
                                      f"{until.isoformat()}")
        return Standing("waived", f"waived until {until.isoformat() if until else 'revoked'}")
    if status in CLOSED:
        return Standing(status, status)
    late = (today - due).days
    if late >= spec.escalate_after_days and late > 0:
        return Standing("escalate", f"{late} days overdue (escalation after "
                                    f"{spec.escalate_after_days})")
    if late > 0:
        return Standing("overdue", f"{late} days overdue")
    return Standing("due_soon", f"due on {due.isoformat()}, in {-late} days")


def check_day(due: date, today: date) -> date:
    """The day the fields must hold on: the due date, or today once it has passed."""
    return max(due, today)


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)


def matches(entity: dict[str, Any], wanted: dict[str, Any]) -> bool:
    """Whether the entity passes the schedule's filter: every named column or `profile.KEY`
    equals the value (text compared without case)."""
    profile = entity.get("profile") or {}
    for key, value in wanted.items():
        have = profile.get(key[len("profile."):]) if key.startswith("profile.") else entity.get(key)
        if isinstance(value, str) and isinstance(have, str):
            if have.strip().lower() != value.strip().lower():
                return False
        elif have != value:
            return False
    return True
