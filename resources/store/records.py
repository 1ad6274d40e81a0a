"""Bulk import of a tenant's business records (accounts, products, contacts, touches, orders,
deals, quotes, documents): parents first, natural keys turned into ids. The demo generator
loads through it, as an importer from another system would.

Inserts go in batches through the tenant scope (which stamps `tenant_id`), and ids are read back
by natural key after each parent table, which works the same on SQLite and PostgreSQL and keeps
the row builders free of any database concern.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from resources.database import TenantScope
from resources.store import schema

# link key in an imported row -> (id column it becomes, parent table, parent's natural key column)
LINKS: dict[str, tuple[str, str, str]] = {
    "account_name": ("account_id", "accounts", "name"),
    "contact_email": ("contact_id", "contacts", "email"),
    "deal_title": ("deal_id", "deals", "title"),
    "order_ref": ("order_id", "orders", "order_number"),
}
# Parents before children; the tables whose ids others need are read back after insert.
LOAD_ORDER = ("accounts", "products", "contacts", "touches", "orders", "deals", "quotes",
              "documents")
BATCH = 1000

Ids = dict[str, dict[str, int]]


def resolve_links(rows: Iterable[Mapping[str, Any]], ids: Ids) -> list[dict[str, Any]]:
    """Replace each link key (e.g. `account_name`) by its id column (`account_id`).

    A link whose key is None stays None; a key naming a parent that was not loaded is an error,
    because a silently dropped link would hide a generator bug.
    """
    resolved = []
    for row in rows:
        out = dict(row)
        for key, (column, table, _) in LINKS.items():
            if key in out:
                value = out.pop(key)
                out[column] = None if value is None else ids[table][value]
        resolved.append(out)
    return resolved


def natural_ids(scope: TenantScope, table_name: str) -> dict[str, int]:
    table = schema.metadata.tables[table_name]
    key = next(k for _, t, k in LINKS.values() if t == table_name)
    rows = scope.execute(scope.select(table.c[key], table.c.id).where(table.c[key].is_not(None)))
    return {natural: id_ for natural, id_ in rows}


def insert_rows(scope: TenantScope, table_name: str, rows: list[dict[str, Any]], ids: Ids) -> int:
    """Insert one table's rows in batches, after resolving their links against `ids`."""
    table = schema.metadata.tables[table_name]
    resolved = resolve_links(rows, ids)
    for start in range(0, len(resolved), BATCH):
        scope.insert(table, resolved[start:start + BATCH])
    if any(t == table_name for _, t, _ in LINKS.values()):
        ids[table_name] = natural_ids(scope, table_name)
    return len(resolved)


def load_rows(scope: TenantScope, rows: Mapping[str, list[dict[str, Any]]]) -> Ids:
    """Insert every table present in `rows`, parents first; returns the natural-key → id maps."""
    ids: Ids = {}
    for table_name in LOAD_ORDER:
        if rows.get(table_name):
            insert_rows(scope, table_name, rows[table_name], ids)
    return ids
