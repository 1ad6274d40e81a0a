"""Documents library benchmarks.

Extraction: 500 generated text PDF pages (50 files of 10 pages) end to end through the
`documents` pipeline's drain (queue -> worker processes -> pages, chunks and full-text index
stored), against pdfplumber-only extraction of the same files (target >= 30x) and bare
single-process pypdfium2 text extraction (the floor; target >= 0.5x using both cores).

Search: one tenant with 100,000 chunks on each backend (PostgreSQL as the runtime role, under
row-level security), 200 known-item queries (four of a chunk's rarer words, as a person
remembers a passage); p50/p95 of warm searches (target p95 <= 20 ms) and recall@10 (target >=
0.9).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from itertools import accumulate
from pathlib import Path

import pdfplumber
import pypdfium2 as pdfium
from fpdf import FPDF

from bench.datagen import APP_ROLE, drop_database, scratch_database
from resources.database import Database, normalize_url
from resources.database.roles import ensure_app_role
from resources.extract import ExtractorPool
from resources.store import schema
from resources.store.tenants import add_tenant, update_tenant
from services.documents.extraction import drain
from services.documents.indexing import refresh_vectors
from services.documents.registry import register_uploads
from services.documents.search import search_scope

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
FILES, PAGES = 50, 10


def words(rng: random.Random, vocabulary: list[str], n: int) -> list[str]:
    """Zipf's law, as in real text: the k-th commonest word is used in proportion to 1/k."""
    weights = _zipf.get(len(vocabulary))
    if weights is None:
        weights = _zipf[len(vocabulary)] = list(accumulate(1 / (k + 1)
                                                           for k in range(len(vocabulary))))
    return rng.choices(vocabulary, cum_weights=weights, k=n)


_zipf: dict[int, list[float]] = {}


def vocabulary(size: int, rng: random.Random) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    return ["".join(rng.choice(letters) for _ in range(rng.randint(4, 10))) for _ in range(size)]


def write_pdfs(folder: Path, rng: random.Random) -> None:
    vocab = vocabulary(5000, rng)
    for n in range(FILES):
        pdf = FPDF()
        pdf.set_font("helvetica", size=10)
        for _ in range(PAGES):
            pdf.add_page()
            for _ in range(8):
                pdf.multi_cell(0, 5, " ".join(words(rng, vocab, 45)) + ".",
                               new_x="LMARGIN", new_y="NEXT")
        (folder / f"report-{n:03d}.pdf").write_bytes(bytes(pdf.output()))


def bare_pdfium(paths: list[Path]) -> float:
    started = time.perf_counter()
    for path in paths:
        doc = pdfium.PdfDocument(str(path))
        for page in doc:
            page.get_textpage().get_text_bounded()
        doc.close()
    return time.perf_counter() - started


def plumber_only(paths: list[Path]) -> float:
    started = time.perf_counter()
    for path in paths:
        with pdfplumber.open(path) as pdf:
            for page in pdf.pages:
                page.extract_text()
    return time.perf_counter() - started


def extraction() -> None:
    with tempfile.TemporaryDirectory(prefix="steward-bench-docs-") as tmp:
        os.environ["STEWARD_HOME"] = tmp
        folder = Path(tmp) / "uploads"
        folder.mkdir()
        write_pdfs(folder, random.Random(7))
        paths = sorted(folder.iterdir())
        db = Database(url=f"sqlite:///{tmp}/app.db")
        db.upgrade()
        add_tenant(db, "bench")
        update_tenant(db, "bench", settings_patch={"documents_dir": str(folder)})
        register_uploads(db, "bench", NOW)
        with ExtractorPool(workers=2) as pool:
            list(pool.map(paths[:2]))  # workers started and warm, as in a run's steady state
            started = time.perf_counter()
            drained = drain(db, "bench", pool, NOW, budget_s=3600)
            ours = time.perf_counter() - started
        pages = drained.pages
        if pages != FILES * PAGES:
            raise SystemExit(f"extracted {pages} pages, expected {FILES * PAGES}")
        bare = bare_pdfium(paths)
        plumber = plumber_only(paths)
    rate = pages / ours
    print(f"extraction: Steward {ours:5.2f}s = {rate:6.0f} pages/s end to end "
          f"(queue -> text, chunks, index stored; 2 worker processes)")
    print(f"  pdfplumber only {plumber:6.2f}s = {pages / plumber:5.0f} pages/s: Steward / "
          f"pdfplumber = {plumber / ours:5.1f}x (target >= 30x: "
          f"{'met' if plumber / ours >= 30 else 'MISSED'})")
    print(f"  bare pypdfium2 {bare:6.2f}s = {pages / bare:5.0f} pages/s (one process): Steward "
          f"/ bare = {bare / ours:4.2f}x (target >= 0.5x: "
          f"{'met' if bare / ours >= 0.5 else 'MISSED'})")


def seed_chunks(db: Database, chunks: int, rng: random.Random) -> list[tuple[str, int]]:
    """`chunks` chunks in 1,000 documents; returns (query, chunk id) known items: four of the
    eight words of a chunk that the fewest other chunks have."""
    vocab = vocabulary(30000, rng)
    bodies = [" ".join(words(rng, vocab, 120)) for _ in range(chunks)]
    per_doc = chunks // 1000
    with db.for_tenant("bench") as scope:
        scope.insert(schema.documents, [
            {"filename": f"doc-{d}.pdf", "path": f"/nowhere/doc-{d}.pdf", "sha256": f"{d:064x}",
             "status": "completed", "category": "other"} for d in range(1000)])
        ids = [r[0] for r in scope.execute(scope.select(schema.documents.c.id)
                                           .order_by(schema.documents.c.id))]
        for start in range(0, chunks, 10_000):
            scope.insert(schema.document_chunks, [
                {"document_id": ids[i // per_doc], "page": 1, "start": 0, "body": bodies[i]}
                for i in range(start, min(start + 10_000, chunks))])
        chunk_ids = [r[0] for r in scope.execute(scope.select(schema.document_chunks.c.id)
                                                 .order_by(schema.document_chunks.c.id))]
    frequency = Counter(w for body in bodies for w in set(body.split()))
    known = []
    for n in rng.sample(range(chunks), 200):
        rare = sorted(set(bodies[n].split()), key=lambda w: (frequency[w], w))[:8]
        known.append((" ".join(rng.sample(rare, 4)), chunk_ids[n]))
    return known


def search_bench(name: str, url: str, owner_url: str | None, chunks: int) -> None:
    owner = Database(url=owner_url or url)
    owner.upgrade()
    if owner_url:
        ensure_app_role(owner.engine, APP_ROLE)
    add_tenant(owner, "bench")
    add_tenant(owner, "neighbour")
    db = Database(url=url)
    known = seed_chunks(db, chunks, random.Random(11))
    started = time.perf_counter()
    refresh_vectors(db, "bench", NOW)
    fitted = time.perf_counter() - started
    times, found = [], 0
    with db.for_tenant("bench") as scope:
        search_scope(scope, known[0][0])  # loads the vector matrix once per process
        for query, chunk_id in known:
            started = time.perf_counter()
            hits = search_scope(scope, query, 10)
            times.append((time.perf_counter() - started) * 1000)
            found += chunk_id in {h.chunk_id for h in hits}
    p50 = statistics.median(times)
    p95 = statistics.quantiles(times, n=20)[18]
    recall = found / len(known)
    print(f"search, {name}: {chunks:,} chunks (LSA fit and embed {fitted:.0f}s); p50 "
          f"{p50:.1f} ms, p95 {p95:.1f} ms (target <= 20 ms: "
          f"{'met' if p95 <= 20 else 'MISSED'}); recall@10 {recall:.3f} (target >= 0.9: "
          f"{'met' if recall >= 0.9 else 'MISSED'})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--pg-url", default=os.environ.get(
        "STEWARD_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-extraction", action="store_true")
    args = parser.parse_args()
    print(f"machine: {platform.node()} {os.cpu_count()} cores, {datetime.now(UTC):%Y-%m-%d}")
    if not args.skip_extraction:
        extraction()
    with tempfile.TemporaryDirectory(prefix="steward-bench-search-") as tmp:
        os.environ["STEWARD_HOME"] = tmp
        search_bench("SQLite FTS5 + LSA", f"sqlite:///{tmp}/app.db", None, args.chunks)
    if not args.skip_postgres:
        root = normalize_url(args.pg_url)
        name, admin_url, app_url = scratch_database(root)
        try:
            search_bench("PostgreSQL text search + LSA (row-level security)", app_url,
                         admin_url, args.chunks)
        finally:
            drop_database(root, name)


if __name__ == "__main__":
    main()
