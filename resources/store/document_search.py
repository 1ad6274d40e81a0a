"""Keyword search over a tenant's chunks, and the chunk vectors and LSA model of its vector
index.

SQLite: the FTS5 table `document_search` (migration 0014) holds each chunk's body and its
tenant as a token, so the tenant is part of the MATCH and FTS5 intersects the two inside its
index; BM25 ranks (the tenant column weighs nothing). PostgreSQL: the generated `search`
tsvector with its GIN index, under row-level security. Both take the query's terms ANDed first
and fall back to OR only when AND finds too little: an OR over common words matches most
chunks.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import TSQUERY

from resources.database import TenantScope
from resources.store.schema import document_chunks, document_indexes, documents

FTS = sa.table("document_search", sa.column("rowid"))
FTS_NAME = sa.literal_column("document_search")
SEARCH = sa.literal_column("document_chunks.search")


def _fts_expression(tenant_id: int, terms: list[str], joiner: str) -> str:
    quoted = f" {joiner} ".join('"' + t.replace('"', '""') + '"' for t in terms)
    return f'tenant : "t{tenant_id}" AND ({quoted})'


def keyword(scope: TenantScope, terms: list[str], limit: int, any_term: bool,
            categories: tuple[str, ...] = ()) -> list[int]:
    """Chunk ids best first for all the terms (or any of them), in documents of the given
    categories if any are given."""
    if not terms:
        return []
    if scope.conn.dialect.name == "sqlite":
        rank = sa.func.bm25(FTS_NAME, 1.0, 0.0)
        expression = _fts_expression(scope.tenant_id, terms, "OR" if any_term else "AND")
        stmt = (sa.select(document_chunks.c.id)
                .select_from(FTS.join(document_chunks, document_chunks.c.id == FTS.c.rowid))
                .where(FTS_NAME.match(expression)).order_by(rank, document_chunks.c.id))
    else:
        query = sa.func.plainto_tsquery("english", " ".join(terms))
        if any_term:  # plainto_tsquery quotes every lexeme; its text with | for & parses back
            query = sa.cast(sa.func.replace(sa.cast(query, sa.Text), "&", "|"), TSQUERY)
        stmt = (sa.select(document_chunks.c.id).where(SEARCH.op("@@")(query))
                .order_by(sa.func.ts_rank_cd(SEARCH, query).desc(), document_chunks.c.id))
    if categories:
        stmt = stmt.join(documents, documents.c.id == document_chunks.c.document_id).where(
            documents.c.category.in_(categories))
    return [r[0] for r in scope.execute(stmt.limit(limit))]


def chunks_by_id(scope: TenantScope, ids: list[int]) -> dict[int, dict[str, Any]]:
    """The chunks with their document's name and category, for showing a hit."""
    if not ids:
        return {}
    rows = scope.execute(
        sa.select(document_chunks.c.id, document_chunks.c.document_id, document_chunks.c.page,
                  document_chunks.c.start, document_chunks.c.body, documents.c.filename,
                  documents.c.category)
        .join(documents, documents.c.id == document_chunks.c.document_id)
        .where(document_chunks.c.id.in_(ids))
    ).mappings()
    return {r["id"]: dict(r) for r in rows}


def chunks_without_vectors(scope: TenantScope) -> list[tuple[int, str]]:
    return [tuple(r) for r in scope.execute(
        sa.select(document_chunks.c.id, document_chunks.c.body)
        .where(document_chunks.c.vector.is_(None)).order_by(document_chunks.c.id))]


def all_chunks(scope: TenantScope) -> list[tuple[int, str]]:
    return [tuple(r) for r in scope.execute(
        sa.select(document_chunks.c.id, document_chunks.c.body).order_by(document_chunks.c.id))]


def vectors(scope: TenantScope) -> list[tuple[int, bytes]]:
    return [tuple(r) for r in scope.execute(
        sa.select(document_chunks.c.id, document_chunks.c.vector)
        .where(document_chunks.c.vector.is_not(None)).order_by(document_chunks.c.id))]


def write_vectors(scope: TenantScope, rows: list[tuple[int, bytes]]) -> None:
    scope.update_rows(document_chunks, [{"id": i, "vector": v} for i, v in rows])


def clear_vectors(scope: TenantScope) -> None:
    scope.execute(sa.update(document_chunks).values(vector=None))


def index_state(scope: TenantScope) -> tuple[int, datetime] | None:
    """(vectors written since the model was fitted, when it was fitted): a searcher's cached
    matrix is current while both match."""
    row = scope.execute(sa.select(document_indexes.c.chunks, document_indexes.c.built_at)).first()
    return (row.chunks, row.built_at) if row else None


def model(scope: TenantScope) -> bytes | None:
    return scope.scalar(sa.select(document_indexes.c.model))


def save_model(scope: TenantScope, blob: bytes, chunks: int, now: datetime) -> None:
    scope.execute(sa.delete(document_indexes))
    scope.insert(document_indexes, {"model": blob, "chunks": chunks, "built_at": now})


def count_vectors(scope: TenantScope, added: int) -> None:
    scope.execute(sa.update(document_indexes)
                  .values(chunks=document_indexes.c.chunks + added))
