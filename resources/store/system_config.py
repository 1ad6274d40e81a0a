"""The `system_config` table: operator-wide flags (the global kill switch, the executor pause)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from resources.database import Database
from resources.store.schema import system_config

KEY = "kill_switch"
PAUSE_KEY = "executor_paused"


def database_flag(db: Database) -> tuple[bool, str | None]:
    with db.system() as sys:
        row = sys.execute(
            sa.select(system_config.c.value, system_config.c.reason).where(
                system_config.c.key == KEY
            )
        ).first()
    if row is None:
        return False, None
    return bool((row.value or {}).get("on")), row.reason


def set_database_flag(db: Database, on: bool, reason: str | None, actor: str) -> None:
    with db.system() as sys:
        sys.execute(sa.delete(system_config).where(system_config.c.key == KEY))
        sys.execute(
            sa.insert(system_config).values(
                key=KEY, value={"on": on}, reason=reason if on else None, updated_by=actor
            )
        )


def executor_pause(db: Database) -> dict[str, Any] | None:
    """Who paused the task executor and why (`steward executor pause`), or None."""
    with db.system() as sys:
        row = sys.execute(
            sa.select(system_config.c.value).where(system_config.c.key == PAUSE_KEY)
        ).first()
    return row.value if row else None


def set_executor_pause(db: Database, paused: bool, actor: str, reason: str = "") -> None:
    """The executor's global pause: a flag every pass reads first."""
    with db.system() as sys:
        sys.execute(sa.delete(system_config).where(system_config.c.key == PAUSE_KEY))
        if paused:
            sys.execute(
                sa.insert(system_config).values(
                    key=PAUSE_KEY,
                    value={"by": actor, "reason": reason},
                    reason=reason,
                    updated_by=actor,
                )
            )
