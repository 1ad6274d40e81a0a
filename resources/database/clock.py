"""Datetimes as the database hands them back: SQLite returns them naive, stored in UTC."""

from __future__ import annotations

from datetime import UTC, datetime


def aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
