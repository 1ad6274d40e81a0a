"""Business days in the tenant's own calendar: its time zone, its weekends and its public holidays.

Cadences count in business days because "three days later" means three working days to the
people who read the mail: a follow-up due on a Saturday, on Thanksgiving or at 3 a.m. local time
is one a client notices. Days are counted on the tenant's local date (so a DST change moves no
step by an hour), holidays come from the `holidays` library for the tenant's country and
subdivision, and a step is due at the local opening of the send window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

MAX_SCAN_DAYS = 366  # a calendar with no business day in a year is a configuration error


@lru_cache(maxsize=64)
def _holidays(country: str, subdivision: str | None) -> holidays.HolidayBase:
    return holidays.country_holidays(country, subdiv=subdivision)


def supported(country: str, subdivision: str | None) -> str | None:
    """Why this country/subdivision cannot be used, or None when the library knows it."""
    known = holidays.list_supported_countries()
    if country not in known:
        return f"unknown holiday country {country!r} (ISO 3166-1 alpha-2, e.g. US, GB, DE)"
    if subdivision and subdivision not in known[country]:
        return f"unknown subdivision {subdivision!r} of {country} (e.g. {known[country][0]!r})"
    return None


@dataclass(frozen=True)
class BusinessCalendar:
    timezone: str = "UTC"
    country: str | None = None
    subdivision: str | None = None
    weekends: bool = False  # the tenant works (and mails) on Saturdays and Sundays
    opens_at: int = 8  # local hour a due step is scheduled for (the send window's start)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def holiday(self, day: date) -> str | None:
        """The public holiday's name on this local date, or None."""
        if not self.country:
            return None
        return _holidays(self.country, self.subdivision).get(day)

    def closed(self, day: date) -> str | None:
        """Why this local date is not a business day, or None when it is."""
        if not self.weekends and day.weekday() >= 5:
            return day.strftime("%A")
        name = self.holiday(day)
        return f"public holiday: {name}" if name else None

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    def opening(self, day: date) -> datetime:
        """The send window's opening on this local date, as an aware datetime."""
        return datetime.combine(day, time(self.opens_at), self.zone)

    def next_open_day(self, day: date) -> date:
        """This day when it is a business day, else the next one."""
        for _ in range(MAX_SCAN_DAYS):
            if self.closed(day) is None:
                return day
            day += timedelta(days=1)
        raise ValueError(f"no business day within a year of {day} in {self}")

    def add_business_days(self, start: datetime, days: int) -> datetime:
        """The opening of the business day `days` business days after `start`'s local date (0:
        that day if it is open and not yet past its opening, else the next open day)."""
        day = self.local_date(start)
        if days == 0:
            open_day = self.next_open_day(day)
            if open_day == day and start > self.opening(day):
                return start
            return self.opening(open_day)
        for _ in range(days):
            day = self.next_open_day(day + timedelta(days=1))
        return self.opening(day)

    def business_days_between(self, start: datetime, end: datetime) -> int:
        """Business days after `start`'s local date up to and including `end`'s."""
        day, last, count = self.local_date(start), self.local_date(end), 0
        while day < last:
            day += timedelta(days=1)
            count += self.closed(day) is None
        return count
