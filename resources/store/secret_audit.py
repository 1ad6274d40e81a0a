"""The `secret_audit` table: who used or changed which secret of a tenant, when, for what, and
whether it worked. Names and versions only: a value never reaches the database."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from resources.database import TenantScope
from resources.store.schema import secret_audit


def record(scope: TenantScope, secret: str, version: int | None, action: str, purpose: str,
           ok: bool, at: datetime, detail: str | None = None, by: str | None = None,
           run_id: str | None = None) -> None:
    scope.insert(secret_audit, {"secret": secret, "version": version, "action": action,
                                "purpose": purpose, "ok": ok, "detail": detail, "by_whom": by,
                                "dagster_run_id": run_id, "at": at})


def record_uses(scope: TenantScope, used: tuple[tuple[str, int | None], ...], purpose: str,
                ok: bool, at: datetime, detail: str | None, run_id: str | None) -> None:
    for secret, version in used:
        record(scope, secret, version, "use", purpose, ok, at, detail, run_id=run_id)


def last_uses(scope: TenantScope) -> dict[str, datetime]:
    rows = scope.execute(scope.select(secret_audit.c.secret, sa.func.max(secret_audit.c.at))
                         .where(secret_audit.c.action == "use")
                         .group_by(secret_audit.c.secret))
    return dict(rows.all())


def listing(scope: TenantScope, secret: str | None, limit: int) -> list[dict[str, Any]]:
    stmt = scope.select(secret_audit).order_by(secret_audit.c.at.desc(), secret_audit.c.id.desc())
    if secret:
        stmt = stmt.where(secret_audit.c.secret == secret)
    return [dict(r) for r in scope.execute(stmt.limit(limit)).mappings()]
