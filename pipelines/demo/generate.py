"""The demo command's engine: for each demo tenant, replace it, load its rows, write its files.

A rerun with the same seed and clock rebuilds exactly the same demo, so a demo can be reset to a
known state at any time and two machines show the same data.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from pipelines.demo.broadcasts import load_broadcast
from pipelines.demo.compliance import load_compliance
from pipelines.demo.documents import write_documents
from pipelines.demo.load import demo_settings, replace_tenant
from pipelines.demo.mail import write_maildir
from pipelines.demo.mail_context import request_ids
from pipelines.demo.rows import build_tenant_rows
from pipelines.demo.spec import DEFAULT_SIZE, DemoSize, DemoSummary, tenant_spec
from resources.database import Database
from resources.mailer.render import sender
from resources.store.records import insert_rows, load_rows, natural_ids
from resources.store.tenants import get_tenant

Progress = Callable[[str, int], None]


def demo_clock(now: datetime | None) -> datetime:
    """The moment every age is measured from: given (naive means UTC), or this hour in UTC."""
    if now is None:
        return datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    return now if now.tzinfo else now.replace(tzinfo=UTC)


def generate_demo(db: Database, out_dir: Path, size: DemoSize = DEFAULT_SIZE, seed: int = 42,
                  now: datetime | None = None, progress: Progress | None = None,
                  write_files: bool = True) -> DemoSummary:
    """Replace the demo tenants with freshly generated rows, Maildirs and documents.

    `progress(label, n)` is called after each phase of each tenant (rows, mail, documents) with
    the number of items that phase wrote. `write_files=False` loads rows only, for benchmarks;
    the tenants then have no mailbox or documents folder configured.
    """
    clock = demo_clock(now)
    out_dir = Path(out_dir).absolute()
    report = progress or (lambda _label, _n: None)
    tenants = []
    for index in range(size.tenants):
        spec = tenant_spec(index)
        maildir, documents_dir = out_dir / spec.slug / "Maildir", out_dir / spec.slug / "documents"
        if write_files:
            for folder in (maildir, documents_dir):
                shutil.rmtree(folder, ignore_errors=True)
            maildir.parent.mkdir(parents=True, exist_ok=True)
        settings = demo_settings(spec, str(maildir) if write_files else None,
                                 str(documents_dir) if write_files else None)
        replace_tenant(db, spec, settings)
        rows = build_tenant_rows(index, size, seed, clock)
        with db.for_tenant(spec.slug) as scope:
            ids = load_rows(scope, rows)
            load_compliance(scope, rows["accounts"], seed, clock)
            load_broadcast(scope, clock)
        report(f"{spec.slug}: rows", sum(len(r) for r in rows.values()))
        messages = documents = 0
        if write_files:
            requests = request_ids(spec.slug, sender(get_tenant(db, spec.slug)),
                                   ids.get("orders", {}))
            messages = sum(write_maildir(maildir, spec, rows, size.messages, seed, clock,
                                         requests).values())
            report(f"{spec.slug}: mail", messages)
            files = write_documents(documents_dir, spec, rows["orders"], size.documents, clock)
            with db.for_tenant(spec.slug) as scope:
                insert_rows(scope, "documents", files, {"orders": natural_ids(scope, "orders")})
            documents = len(files)
            report(f"{spec.slug}: documents", documents)
        tenants.append({
            "slug": spec.slug,
            **{table: len(rows[table]) for table in ("accounts", "contacts", "products", "touches",
                                                     "orders", "deals", "quotes")},
            "messages": messages,
            "documents": documents,
            "maildir": str(maildir) if write_files else None,
            "documents_dir": str(documents_dir) if write_files else None,
        })
    return DemoSummary(tenants=tenants)
