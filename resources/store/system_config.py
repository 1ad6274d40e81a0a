"""The `system_config` table: operator-wide flags (the global kill switch, the executor pause)."""

from __future__ import annotations

import sqlalchemy as sa

from resources.database import Database
from resources.store.schema import system_config

KEY = "kill_switch"


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
