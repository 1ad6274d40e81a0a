"""`steward docs list|show|search|answers|category|reindex`: the documents library from the
terminal.

`list` shows the registry (status, category and why, detected type, pages, the failure or
"needs OCR"); `show` one document's record and text; `search` the tenant's documents with the
page and offset of each passage; `answers` the inquiries the hourly plan answered from the
documents (the drafted reply with its sources) or left for a person; `category` overrides an
inferred category (kept through re-extraction); `reindex` cuts the stored pages into chunks
again and refits the vector index.
Extraction itself runs in Dagster: `steward run documents --tenant SLUG | --all`.
"""

from __future__ import annotations

from datetime import UTC, datetime

import typer

from agent.documents import CATEGORIES, STATUSES
from pipelines.cli.common import CliError, actor, ready_database
from resources.store import documents as store
from services.documents.answers import recent
from services.documents.indexing import reindex
from services.documents.search import search as search_documents

app = typer.Typer(no_args_is_help=True,
                  help="Documents library: list, show, search, answers, category, reindex.")
TENANT = typer.Option(..., "--tenant")


@app.command("list")
def list_documents(
    tenant: str = TENANT,
    status: str = typer.Option(None, "--status", help=", ".join(STATUSES)),
    category: str = typer.Option(None, "--category", help=", ".join(CATEGORIES)),
    limit: int = typer.Option(100, "--limit"),
) -> None:
    """The tenant's documents, oldest first."""
    if status and status not in STATUSES:
        raise CliError(f"unknown status {status!r}: choose one of {', '.join(STATUSES)}")
    with ready_database().for_tenant(tenant) as scope:
        rows = store.listing(scope, status, category, limit)
    print("\t".join(("id", "file", "source", "type", "status", "category", "pages", "chars",
                     "note")))
    for r in rows:
        note = r["error"] or ("needs OCR" if r["needs_ocr"] else "")
        print("\t".join(str(v if v is not None else "") for v in (
            r["id"], r["filename"], r["source"], r["detected_type"], r["status"],
            r["category"], r["pages"], r["chars"], note)))


@app.command("show")
def show(document_id: int = typer.Argument(..., metavar="ID"), tenant: str = TENANT,
         text: bool = typer.Option(True, "--text/--no-text")) -> None:
    """One document: where it came from, how extraction went, and its text by page."""
    with ready_database().for_tenant(tenant) as scope:
        doc = store.find(scope, document_id)
        pages = store.pages_of(scope, document_id) if doc else []
    if doc is None:
        raise CliError(f"no document {document_id} for tenant {tenant!r}")
    for key in ("filename", "source", "path", "size_bytes", "sha256", "detected_type",
                "status", "error", "needs_ocr", "category", "category_reason", "pages",
                "chars", "extractor", "order_id", "message_id", "account_id", "extracted_at"):
        print(f"{key}: {doc[key] if doc[key] is not None else ''}")
    for page in pages if text else []:
        print(f"\n--- page {page['page']} ({page['extractor']}, {len(page['tables'])} "
              f"table(s)) ---\n{page['text']}")


@app.command("search")
def search(query: str = typer.Argument(..., metavar="QUERY"), tenant: str = TENANT,
           limit: int = typer.Option(10, "--limit"),
           category: list[str] = typer.Option(None, "--category",
                                              help="Only these categories (repeatable).")
           ) -> None:
    """The passages that best answer QUERY, with document, page and offset."""
    unknown = sorted(set(category or ()) - set(CATEGORIES))
    if unknown:
        raise CliError(f"unknown category {unknown[0]!r}: choose from {', '.join(CATEGORIES)}")
    hits = search_documents(ready_database(), tenant, query, limit, tuple(category or ()))
    if not hits:
        print(f"nothing found for {query!r}")
        return
    for hit in hits:
        print(f"{hit.rank}. #{hit.document_id} {hit.filename} ({hit.category}), page "
              f"{hit.page}, offset {hit.offset}\n   {hit.snippet}")


@app.command("answers")
def answers(tenant: str = TENANT, limit: int = typer.Option(10, "--limit"),
            text: bool = typer.Option(True, "--text/--no-text")) -> None:
    """Inquiries answered from the documents or left for a person, newest first, with the
    drafted reply (`steward approve ID` sends one that waits)."""
    with ready_database().for_tenant(tenant) as scope:
        handled = recent(scope, limit)
    if not handled:
        print(f"{tenant}: no inquiry handled yet")
    for r in handled:
        task = f", task {r['task_id']}" if r["task_id"] else ""
        task += f" ({r['opened']} opened for a person)" if r["opened"] else ""
        print(f"{r['kind']} to {r['target']}: {r['status']}{task}\n   {r['reason']}")
        if text and r["draft"]:
            body = str(r["draft"].get("text", "")).rstrip().replace("\n", "\n   | ")
            print(f"   | Subject: {r['draft'].get('subject')}\n   |\n   | {body}")


@app.command("category")
def category(document_id: int = typer.Argument(..., metavar="ID"),
             name: str = typer.Argument(..., metavar="CATEGORY"), tenant: str = TENANT) -> None:
    """Set a document's category by hand; re-extraction keeps it."""
    if name not in CATEGORIES:
        raise CliError(f"unknown category {name!r}: choose one of {', '.join(CATEGORIES)}")
    with ready_database().for_tenant(tenant) as scope:
        if not store.set_category(scope, document_id, name, actor(), datetime.now(UTC)):
            raise CliError(f"no document {document_id} for tenant {tenant!r}")
    print(f"document {document_id}: category {name}")


@app.command("reindex")
def reindex_command(tenant: str = TENANT) -> None:
    """Chunk every extracted page again and refit the tenant's vector index."""
    chunks, embedded = reindex(ready_database(), tenant, datetime.now(UTC))
    print(f"{tenant}: {chunks} chunks, {embedded} embedded")
