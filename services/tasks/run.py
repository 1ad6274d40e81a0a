"""What a task handler is given and what it hands back, shared by the handler modules.

`services/tasks/handlers.py` is the entry point the executor calls; the types live here so the
modules doing the work (content, briefs) can use them without importing the dispatcher of kinds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from agent.tasks.approach import named_recipient
from resources.database import Database, Tenant
from resources.mailer import Mailer
from resources.providers import write_atomic


@dataclass(frozen=True)
class TaskRun:
    db: Database
    mailer: Mailer
    tenant: Tenant
    task: dict[str, Any]  # the tasks row, every column
    now: datetime
    # (entity_type, entity_id, data): record a record's state before a handler changes it
    snapshot: Callable[[str, str, dict[str, Any]], None]

    @property
    def context(self) -> dict[str, Any]:
        """The task's inputs; a task made by hand may have none."""
        context = self.task.get("context")
        return context if isinstance(context, dict) else {}

    def text(self, *keys: str) -> str:
        """The first non-blank of the context's `keys`, as trimmed text ("" when none is set)."""
        for key in keys:
            value = self.context.get(key)
            if value is not None and str(value).strip():
                return str(value).strip()
        return ""

    def recipient(self) -> str:
        """Who the task's mail is for: the context's "to", else the one address its title or
        description names ("" when neither says)."""
        return (
            self.text("to") or named_recipient(self.task["title"], self.task["description"]) or ""
        )

    def write(self, suffix: str, text: str) -> Path:
        """Write the task's deliverable beside the tenant's outbox files. The name comes from
        the task, so a retried task rewrites its own file instead of leaving a second one."""
        name = f"{self.task['id']:08d}-{self.task['kind']}{suffix}"
        return write_atomic(self.mailer.folder(self.tenant.slug) / "tasks" / name, text)


@dataclass(frozen=True)
class Outcome:
    status: str  # "completed" | "blocked" (needs a person, says why) | "waiting" (not a failure)
    detail: str  # one line saying what happened
    deliverable: str | None = None  # a path, a URL or "outbox:KEY"
    not_before: datetime | None = None  # for "waiting": when to try again
    awaits: int | None = None  # for "blocked": the gate's approval task its send waits for


class HandlerError(Exception):
    """A failed attempt: the executor retries with backoff and escalates after the last."""
