"""Tenant scoping of SQL statements.

Every statement run through a tenant scope gets `tenant_id = :tenant` on each tenant-owned table it
reads, updates or deletes, in the outer statement and in every nested select, at the moment it
runs; inserts are stamped with the tenant. Raw SQL text is refused. So an unscoped query on tenant
data cannot be written by accident; PostgreSQL row-level security is the second line behind this.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql import visitors
from sqlalchemy.sql.dml import Delete, Insert, Update
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.selectable import Alias, Join, Select

from resources.store.schema import TENANT_TABLES

TENANT_TABLE_NAMES = frozenset(t.name for t in TENANT_TABLES)
_LEAVES = (sa.sql.expression.ColumnClause, sa.sql.expression.TableClause, BindParameter)


class UnscopedQueryError(RuntimeError):
    """A statement would read or write tenant data without the tenant filter."""


def _base_tables(from_obj: Any, optional: bool = False) -> Iterable[tuple[Any, bool]]:
    """Tables under a FROM item, each with whether an outer join may leave its row NULL."""
    if isinstance(from_obj, Join):
        yield from _base_tables(from_obj.left, optional or from_obj.full)
        yield from _base_tables(from_obj.right, optional or from_obj.isouter)
    else:
        yield from_obj, optional


def _tenant_column(from_obj: Any) -> sa.ColumnElement | None:
    if isinstance(from_obj, sa.Table) and from_obj.name in TENANT_TABLE_NAMES:
        return from_obj.c.tenant_id
    if (
        isinstance(from_obj, Alias)
        and getattr(from_obj.element, "name", None) in TENANT_TABLE_NAMES
    ):
        return from_obj.c.tenant_id
    return None


_MATCHES: dict[tuple[int, int], tuple[Any, Any]] = {}


def _is_tenant(column: Any, tenant_id: int) -> Any:
    """`column = :tenant`, built once per column and tenant and reused (expressions are
    immutable): coercing the value costs SQLAlchemy ~0.1 ms, and a tenant's hour scopes a few
    hundred tables."""
    key = (id(column), tenant_id)
    found = _MATCHES.get(key)
    if found is None or found[0] is not column:
        if len(_MATCHES) >= 65536:
            _MATCHES.clear()
        found = _MATCHES[key] = (column, column == tenant_id)
    return found[1]


def touches_tenant_data(stmt: Any) -> bool:
    return any(
        isinstance(e, sa.Table) and e.name in TENANT_TABLE_NAMES for e in visitors.iterate(stmt)
    )


def _tables(stmt: Select) -> list[tuple[Any, bool]]:
    """The tables under the FROM list `stmt` will render, each with whether an outer join may
    leave its row NULL. `Select.get_final_froms()` compiles the statement to find that list
    (0.2-0.4 ms, paid by every scoped statement); it follows from the statement's parts: explicit
    FROMs plus what its columns and criteria name, minus what a join covers, as the compiler
    computes it, and each `Select.join()` target joined on. A full join, or a join onto a join,
    is left to the compiler."""
    targets = [(t, flags["isouter"]) for t, _on, _left, flags in stmt._setup_joins]
    if any(flags["full"] or isinstance(t, Join) for t, _on, _left, flags in stmt._setup_joins):
        return [found for f in stmt.get_final_froms() for found in _base_tables(f)]
    named: list[Any] = []
    for part in (*stmt._from_obj, *stmt._raw_columns, *stmt._where_criteria,
                 *stmt._having_criteria):
        named.extend(part._from_objects)
    hidden = {id(h) for f in named for h in f._hide_froms}
    hidden.update(id(t) for t, _outer in targets)
    froms: list[Any] = []
    for from_obj in named:
        if id(from_obj) not in hidden and all(from_obj is not f for f in froms):
            froms.append(from_obj)
    return [*(found for f in froms for found in _base_tables(f)), *targets]


def _filter_froms(stmt: Select, tenant_id: int) -> Select:
    """A filter per tenant table in the FROM list: in the WHERE clause, or for the optional side
    of a left outer join, in that join's ON clause, where PostgreSQL can use the table's tenant
    index (a WHERE `tenant_id = :t OR tenant_id IS NULL` is not pushed into the scan: an
    anti-join read every tenant's rows). A row linked to another tenant's row then shows no
    link. A full join keeps the WHERE form, which drops such a row."""
    stmt, in_on = _scope_outer_joins(stmt, tenant_id)
    where = []
    for base, optional in _tables(stmt):
        column = _tenant_column(base)
        if column is None or (optional and id(base) in in_on):
            continue
        match = _is_tenant(column, tenant_id)
        where.append(sa.or_(match, column.is_(None)) if optional else match)
    return stmt.where(*where) if where else stmt


def _scope_outer_joins(stmt: Select, tenant_id: int) -> tuple[Select, set[int]]:
    """`stmt` with the tenant filter in the ON clause of each left outer join whose target is a
    tenant table (`Select.outerjoin`, and joins nested in `select_from`), and those tables."""
    in_on: set[int] = set()

    def on(target: Any, onclause: Any, flags: dict) -> Any:
        column = _tenant_column(target)
        if column is None or onclause is None or not flags["isouter"] or flags["full"]:
            return onclause
        in_on.add(id(target))
        return sa.and_(onclause, _is_tenant(column, tenant_id))

    def rebuild(join: Any) -> Any:
        if not isinstance(join, Join):
            return join
        flags = {"isouter": join.isouter, "full": join.full}
        return Join(rebuild(join.left), join.right, on(join.right, join.onclause, flags),
                    isouter=join.isouter, full=join.full)

    joins = tuple((target, on(target, onclause, flags), left, flags)
                  for target, onclause, left, flags in stmt._setup_joins)
    froms = tuple(rebuild(f) for f in stmt._from_obj)
    if not in_on:
        return stmt, in_on
    stmt = stmt._generate()
    stmt._setup_joins, stmt._from_obj = joins, froms
    return stmt, in_on


def _nests_select(stmt: Any) -> bool:
    """Whether a select is nested anywhere inside `stmt`. Tables, columns and bound values
    cannot hold one, and `visitors.iterate` would walk every column of every table named."""
    stack = list(stmt.get_children())
    while stack:
        element = stack.pop()
        if isinstance(element, Select):
            return True
        if not isinstance(element, _LEAVES):
            stack.extend(element.get_children())
    return False


def _scope_nested(stmt: Any, tenant_id: int) -> Any:
    """Scope every select nested inside `stmt` (subqueries, IN lists, EXISTS). Most statements
    nest none, and looking costs a fraction of the copy replacement_traverse makes."""
    if not _nests_select(stmt):
        return stmt

    def replace(element: Any) -> Any:
        if element is not stmt and isinstance(element, Select):
            return _filter_froms(_scope_nested(element, tenant_id), tenant_id)
        return None

    return visitors.replacement_traverse(stmt, {}, replace)


def _where_tables(clause: Any) -> list[Any]:
    """Tenant tables a WHERE names directly (UPDATE ... FROM, DELETE ... USING), not nested."""
    found: list[Any] = []
    stack = [clause]
    while stack:
        element = stack.pop()
        if element is None or isinstance(element, Select):
            continue
        table = getattr(element, "table", None) if isinstance(element, sa.ColumnClause) else None
        if table is not None and _tenant_column(table) is not None and table not in found:
            found.append(table)
        stack.extend(element.get_children())
    return found


def scope_statement(stmt: Any, tenant_id: int) -> Any:
    """Return `stmt` restricted to `tenant_id` everywhere it reads, or raise if it cannot be."""
    if isinstance(stmt, sa.TextClause):
        raise UnscopedQueryError("raw SQL text cannot run in a tenant scope; use SQLAlchemy Core")
    if not isinstance(stmt, (Select, Update, Delete, Insert)):
        raise UnscopedQueryError(f"unsupported statement {type(stmt).__name__} in a tenant scope")
    if isinstance(stmt, Insert):
        return stmt if stmt.select is None else _scope_nested(stmt, tenant_id)
    stmt = _scope_nested(stmt, tenant_id)
    if isinstance(stmt, Select):
        return _filter_froms(stmt, tenant_id)
    tables = [stmt.table, *(t for t in _where_tables(stmt.whereclause) if t is not stmt.table)]
    for table in tables:
        column = _tenant_column(table)
        if column is not None:
            stmt = stmt.where(_is_tenant(column, tenant_id))
    return stmt


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
