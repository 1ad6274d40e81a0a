"""Keeping a tenant's vector index current: new chunks are embedded with the fitted model, and
the model is fitted again when the chunks it has not seen outgrow a quarter of those it has
(a model fitted on a tenant's first ten files would not know the words of the next thousand),
or when a person asks for a reindex."""

from __future__ import annotations

from datetime import datetime

from resources.database import Database
from resources.store import document_search as index
from resources.store import documents
from services.documents import vectors

REFIT_SHARE = 0.25


def refresh_vectors(db: Database, slug: str, now: datetime, refit: bool = False) -> int:
    """Embed what has no vector yet (or everything, on a refit); returns chunks embedded."""
    with db.for_tenant(slug) as scope:
        state = index.index_state(scope)
        missing = index.chunks_without_vectors(scope)
        if not missing and not refit:
            return 0
        seen = state[0] if state else 0
        if refit or state is None or len(missing) > REFIT_SHARE * seen:
            rows = index.all_chunks(scope)
            model = vectors.fit([body for _, body in rows])
            if model is None:
                return 0
            index.clear_vectors(scope)
            rows_out, saved = rows, None
        else:
            saved = index.model(scope)
            model, rows_out = vectors.load(saved), missing
        embedded = vectors.Embedder(model)([body for _, body in rows_out])
        index.write_vectors(scope, [(cid, vectors.to_bytes(v))
                                    for (cid, _), v in zip(rows_out, embedded, strict=True)])
        if saved is None:
            index.save_model(scope, vectors.dump(model), len(rows_out), now)
        else:
            index.count_vectors(scope, len(rows_out))
        return len(rows_out)


def reindex(db: Database, slug: str, now: datetime) -> tuple[int, int]:
    """Cut every stored page into chunks again (after the chunking rule changed, or to repair
    the full-text index, which the chunk triggers rebuild) and refit the vector model."""
    with db.for_tenant(slug) as scope:
        chunks = documents.rechunk(scope)
    return chunks, refresh_vectors(db, slug, now, refit=True)
