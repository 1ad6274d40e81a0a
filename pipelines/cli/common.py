"""Shared CLI pieces: consoles, the resources Definitions registers, and error output."""

from __future__ import annotations

import getpass
import os
from datetime import UTC, datetime

from rich.console import Console

from pipelines import resources
from resources.database import Database
from resources.database.clock import aware

out = Console(soft_wrap=True)
stderr = Console(stderr=True)


class CliError(Exception):
    """A user-facing failure: the message is printed as is."""


def err(message: str) -> None:
    stderr.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)


def database() -> Database:
    return resources.database


def ready_database() -> Database:
    """The database, refused with one clear line when it is unreachable or not upgraded."""
    db = resources.database
    db.require_current_schema()
    return db


def actor() -> str:
    return os.environ.get("STEWARD_ACTOR") or f"cli:{getpass.getuser()}"


def utc_minute(value: datetime | None) -> str:
    """A stored time to the minute in UTC (`-` when unset): the server's time zone and SQLite's
    naive values would otherwise show the same instant differently."""
    return f"{aware(value).astimezone(UTC):%Y-%m-%dT%H:%MZ}" if value else "-"


def pairs(items: list[str], option: str) -> dict[str, str]:
    """NAME=VALUE options (repeatable) as a dict; the name is trimmed, the value kept as typed."""
    found = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise CliError(f"{option} takes NAME=VALUE, got {item!r}")
        found[name.strip()] = value
    return found
