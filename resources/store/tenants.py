"""The tenant registry: the one place tenants are added, changed, enabled and removed."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from agent.settings import TenantSettings, validate_slug, validate_timezone
from resources.database import Database, Tenant, UnknownTenantError
from resources.store.schema import ANALYTICS_TABLES, tenants


def _get(sys: Any, slug: str) -> Tenant:
    row = sys.execute(sa.select(tenants).where(tenants.c.slug == slug)).mappings().first()
    if row is None:
        raise UnknownTenantError(f"unknown tenant {slug!r}")
    return Tenant.from_row(row)


def get_tenant(db: Database, slug: str) -> Tenant:
    with db.system() as sys:
        return _get(sys, slug)


def add_tenant(
    db: Database,
    slug: str,
    name: str | None = None,
    timezone: str = "UTC",
    settings: TenantSettings | None = None,
    agent_enabled: bool = True,
) -> Tenant:
    validate_slug(slug)
    validate_timezone(timezone)
    settings = settings or TenantSettings()
    with db.system() as sys:
        exists = sys.execute(sa.select(tenants.c.id).where(tenants.c.slug == slug)).first()
        if exists:
            raise ValueError(f"tenant {slug!r} already exists")
        sys.execute(
            sa.insert(tenants).values(
                slug=slug,
                name=name or slug,
                timezone=timezone,
                agent_enabled=agent_enabled,
                settings=settings.model_dump(mode="json"),
            )
        )
        return _get(sys, slug)


def update_tenant(
    db: Database,
    slug: str,
    name: str | None = None,
    timezone: str | None = None,
    settings_patch: dict[str, Any] | None = None,
) -> Tenant:
    """Apply a partial change; the merged settings are validated whole before anything is saved."""
    with db.system() as sys:
        current = _get(sys, slug)
        merged = _deep_merge(current.settings.model_dump(mode="json"), settings_patch or {})
        settings = TenantSettings.model_validate(merged)
        values: dict[str, Any] = {
            "settings": settings.model_dump(mode="json"),
            "updated_at": sa.func.now(),
        }
        if name:
            values["name"] = name
        if timezone:
            values["timezone"] = validate_timezone(timezone)
        sys.execute(sa.update(tenants).where(tenants.c.slug == slug).values(**values))
        return _get(sys, slug)


def set_enabled(db: Database, slug: str, enabled: bool) -> Tenant:
    with db.system() as sys:
        _get(sys, slug)
        sys.execute(
            sa.update(tenants)
            .where(tenants.c.slug == slug)
            .values(agent_enabled=enabled, updated_at=sa.func.now())
        )
        return _get(sys, slug)


def remove_tenant(db: Database, slug: str) -> None:
    """Delete a tenant and, through ON DELETE CASCADE, every row it owns; its warehouse facts
    and insights (which keep no foreign key) in the same transaction."""
    with db.warehouse() as scope:
        tenant_id = _get(scope, slug).id
        for table in ANALYTICS_TABLES:
            scope.execute(sa.delete(table).where(table.c.tenant_id == tenant_id))
        scope.execute(sa.delete(tenants).where(tenants.c.id == tenant_id))


def _deep_merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out
