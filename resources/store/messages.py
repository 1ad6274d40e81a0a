"""The `messages` table: every ingested message once per (tenant, message key)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from agent.answers import ANSWERABLE
from resources.database import TenantScope
from resources.database.bulk import dialect_insert
from resources.store.contacts import chunks
from resources.store.schema import messages

# When a message came: its Date header, else when ingest stored it.
RECEIVED = sa.func.coalesce(messages.c.sent_at, messages.c.created_at)


def questions_since(since: datetime) -> list[sa.ColumnElement[bool]]:
    """Inbound mail classified as a question the documents may answer, received since `since`:
    what the plan answers and the evidence the policy accepts for a task about one."""
    return [messages.c.direction == "in", messages.c.classification.in_(ANSWERABLE),
            RECEIVED >= since]


_PG_SETTINGS = sa.table("pg_settings", sa.column("name"), sa.column("enumvals", ARRAY(sa.Text)))
# For this transaction only, and only where the server was built with lz4 (no row: no change).
_LZ4_BODIES = sa.select(sa.func.set_config("default_toast_compression", "lz4", True)).where(
    _PG_SETTINGS.c.name == "default_toast_compression",
    sa.literal("lz4") == sa.any_(_PG_SETTINGS.c.enumvals),
)


def insert_messages(scope: TenantScope, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Store the rows and return the id of every row's key; a key already stored is skipped, so
    a re-fetched batch adds nothing.

    On PostgreSQL the bodies (tens of KB each) are compressed with lz4 rather than the default
    pglz, which cost about a millisecond a message, most of the time spent storing mail; reading
    them back is the same either way. The rows go in as one pipelined INSERT per row rather than
    through `TenantScope.insert`'s COPY into a temporary table: with bodies this large the
    temporary copy doubles the server's work, and the pipeline measured twice as fast.
    """
    if not rows:
        return {}
    dialect = scope.conn.dialect.name
    if dialect == "postgresql":
        scope.execute(_LZ4_BODIES)
    insert = dialect_insert(dialect, messages).on_conflict_do_nothing(
        index_elements=["tenant_id", "message_key"]
    )
    scope.execute(insert, rows)
    return _ids(scope, [row["message_key"] for row in rows])


def _ids(scope: TenantScope, keys: list[str]) -> dict[str, int]:
    ids: dict[str, int] = {}
    for part in chunks(keys):
        found = scope.execute(
            scope.select(messages.c.message_key, messages.c.id).where(
                messages.c.message_key.in_(part)
            )
        )
        ids.update(dict(found.all()))
    return ids
