"""Searching a tenant's documents: keyword ranks (BM25 on SQLite FTS5, ts_rank_cd on
PostgreSQL) and LSA vector ranks merged by reciprocal rank fusion, each hit with its document,
page, offset and snippet.

The vector matrix of a tenant is loaded once per process and kept while the index's state (the
vectors written since the fit, the fit time) is unchanged: reading 100,000 vectors costs far
more than a search."""

from __future__ import annotations

from dataclasses import dataclass
from threading import Lock
from typing import Any

import numpy as np

from agent.documents import fuse, query_terms, snippet
from resources.database import Database, TenantScope
from resources.store import document_search as index
from services.documents import vectors

CANDIDATES = 50  # from each ranking, before fusion


@dataclass(frozen=True)
class Hit:
    chunk_id: int
    document_id: int
    filename: str
    category: str
    page: int
    offset: int  # in the page's text
    snippet: str
    body: str
    rank: int


@dataclass
class _Loaded:
    state: tuple[int, Any]
    embed: vectors.Embedder
    ids: np.ndarray
    matrix: np.ndarray


_cache: dict[tuple[str, int], _Loaded] = {}
_lock = Lock()


def _vector_index(scope: TenantScope) -> _Loaded | None:
    state = index.index_state(scope)
    if state is None:
        return None
    key = (str(scope.conn.engine.url), scope.tenant_id)
    with _lock:
        loaded = _cache.get(key)
        if loaded is not None and loaded.state == state:
            return loaded
    blob = index.model(scope)
    rows = index.vectors(scope)
    loaded = _Loaded(state, vectors.Embedder(vectors.load(blob)),
                     np.array([r[0] for r in rows], dtype=np.int64),
                     vectors.matrix([r[1] for r in rows]) if rows else np.zeros((0, 1)))
    with _lock:
        _cache[key] = loaded
    return loaded


def keyword_ranking(scope: TenantScope, terms: list[str], limit: int,
                    categories: tuple[str, ...] = ()) -> list[int]:
    """All the terms first; any of them only when no chunk has all of them. Passages that
    share some of the words come from the vector ranking: an OR ranks every chunk holding any
    word (on PostgreSQL 23 ms for four rare words at 100,000 chunks, reading each match's row
    for its rank), and over common words that is most of the tenant."""
    found = index.keyword(scope, terms, limit, False, categories)
    if not found and len(terms) > 1:
        found = index.keyword(scope, terms, limit, True, categories)
    return found


def vector_ranking(scope: TenantScope, query: str, limit: int) -> list[int]:
    loaded = _vector_index(scope)
    if loaded is None or not len(loaded.ids):
        return []
    embedded = loaded.embed([query])
    return [int(loaded.ids[i]) for i in vectors.nearest(embedded, loaded.matrix, limit)]


def search_scope(scope: TenantScope, query: str, limit: int = 10,
                 categories: tuple[str, ...] = ()) -> list[Hit]:
    """The best `limit` chunks for the query; with `categories`, only chunks of documents in
    them (the keyword ranking filters in SQL, the vector ranking's other hits are dropped)."""
    terms = query_terms(query)
    if not terms:
        return []
    ranked = fuse(keyword_ranking(scope, terms, CANDIDATES, categories),
                  vector_ranking(scope, query, CANDIDATES))
    chunks = index.chunks_by_id(scope, ranked if categories else ranked[: limit * 2])
    hits = []
    for chunk_id in ranked:
        chunk = chunks.get(chunk_id)
        if chunk is None:  # dropped since the vectors were loaded
            continue
        if categories and chunk["category"] not in categories:
            continue
        start, text = snippet(chunk["body"], terms)
        hits.append(Hit(chunk_id, chunk["document_id"], chunk["filename"], chunk["category"],
                        chunk["page"], chunk["start"] + start, text, chunk["body"],
                        len(hits) + 1))
        if len(hits) == limit:
            break
    return hits


def search(db: Database, slug: str, query: str, limit: int = 10,
           categories: tuple[str, ...] = ()) -> list[Hit]:
    with db.for_tenant(slug) as scope:
        return search_scope(scope, query, limit, categories)
