"""Tenant scoping of SQL statements.

Every statement run through a tenant scope gets `tenant_id = :tenant` on each tenant-owned table it
reads, updates or deletes, and inserts are stamped with the tenant. Raw SQL text and nested
selects that were not built by the same scope are refused, so an unscoped query on tenant data
cannot be written by accident. PostgreSQL row-level security is the second line behind this.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql import visitors
from sqlalchemy.sql.dml import Delete, Insert, Update
from sqlalchemy.sql.selectable import Alias, Join, Select

from resources.schema import TENANT_TABLES

TENANT_TABLE_NAMES = frozenset(t.name for t in TENANT_TABLES)
SCOPE_OPTION = "steward_tenant_id"


class UnscopedQueryError(RuntimeError):
    """A statement would read or write tenant data without the tenant filter."""


def _base_tables(from_obj: Any) -> Iterable[Any]:
    if isinstance(from_obj, Join):
        yield from _base_tables(from_obj.left)
        yield from _base_tables(from_obj.right)
    else:
        yield from_obj


def _tenant_column(from_obj: Any) -> sa.ColumnElement | None:
    if isinstance(from_obj, sa.Table) and from_obj.name in TENANT_TABLE_NAMES:
        return from_obj.c.tenant_id
    if (
        isinstance(from_obj, Alias)
        and getattr(from_obj.element, "name", None) in TENANT_TABLE_NAMES
    ):
        return from_obj.c.tenant_id
    return None


def touches_tenant_data(stmt: Any) -> bool:
    return any(
        isinstance(e, sa.Table) and e.name in TENANT_TABLE_NAMES for e in visitors.iterate(stmt)
    )


def scope_select(stmt: Select, tenant_id: int) -> Select:
    for from_obj in stmt.get_final_froms():
        for base in _base_tables(from_obj):
            column = _tenant_column(base)
            if column is not None:
                stmt = stmt.where(column == tenant_id)
    return stmt.execution_options(**{SCOPE_OPTION: tenant_id})


def _check_nested(stmt: Any, tenant_id: int) -> None:
    for element in visitors.iterate(stmt):
        if element is stmt or not isinstance(element, Select):
            continue
        if element.get_execution_options().get(SCOPE_OPTION) == tenant_id:
            continue
        if touches_tenant_data(element):
            raise UnscopedQueryError(
                "a nested select reads tenant data without the tenant filter; build it with "
                "scope.select(...)"
            )


def scope_statement(stmt: Any, tenant_id: int) -> Any:
    """Return `stmt` restricted to `tenant_id`, or raise if that cannot be guaranteed."""
    if isinstance(stmt, sa.TextClause):
        raise UnscopedQueryError("raw SQL text cannot run in a tenant scope; use SQLAlchemy Core")
    if isinstance(stmt, Select):
        if stmt.get_execution_options().get(SCOPE_OPTION) != tenant_id:
            stmt = scope_select(stmt, tenant_id)
        _check_nested(stmt, tenant_id)
        return stmt
    if isinstance(stmt, (Update, Delete)):
        column = _tenant_column(stmt.table)
        if column is not None:
            stmt = stmt.where(column == tenant_id)
        _check_nested(stmt, tenant_id)
        return stmt
    if isinstance(stmt, Insert):
        _check_nested(stmt, tenant_id)
        return stmt
    raise UnscopedQueryError(f"unsupported statement type {type(stmt).__name__} in a tenant scope")


def stamp_rows(
    table_name: str, rows: Sequence[Mapping[str, Any]] | Mapping[str, Any] | None, tenant_id: int
) -> list[dict[str, Any]] | dict[str, Any] | None:
    """Give each inserted row the scope's tenant; a row naming another tenant is refused."""
    if rows is None or table_name not in TENANT_TABLE_NAMES:
        return rows if rows is None or isinstance(rows, Mapping) else list(rows)
    single = isinstance(rows, Mapping)
    stamped = []
    for row in [rows] if single else rows:
        if row.get("tenant_id", tenant_id) != tenant_id:
            raise UnscopedQueryError("a row names another tenant than the scope's")
        stamped.append({**row, "tenant_id": tenant_id})
    return stamped[0] if single else stamped
