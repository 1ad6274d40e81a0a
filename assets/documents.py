"""The documents library as an asset partitioned by tenant: each run registers the tenants'
uploads, extracts what is queued (uploads, mail attachments) in worker processes within a time
budget, and brings the search index up to date. Launched by the documents sensor when a
folder changes and by `steward run documents`; `extraction_failures` warns when more files
failed than the threshold, listing them."""

import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime

import dagster as dg

from assets.batch import (
    add_partition_metadata,
    failed_check,
    failed_spec,
    listing_md,
    require_schema,
)
from assets.cycle import describe
from assets.partitions import tenant_partitions
from resources.database import Database
from resources.extract import ExtractorPool
from services.documents.library import TenantDocuments, run_library
from services.outcome import Outcome


class DocumentsConfig(dg.Config):
    budget_seconds: float = 600.0  # per tenant; what is left stays queued for the next run
    workers: int = 2
    failure_threshold: int = 0  # failed files (all tenants) above which the check warns


@dg.asset(
    name="documents",
    group_name="documents",
    kinds={"python"},
    partitions_def=tenant_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    check_specs=[dg.AssetCheckSpec("extraction_failures", asset="documents"),
                 failed_spec("documents")],
    description="Each tenant's documents: registered, extracted to text and tables, chunked "
    "and indexed for search; failures with their reasons.",
)
def documents(context: dg.AssetExecutionContext, config: DocumentsConfig,
              database: Database) -> Iterator:
    require_schema(database)
    found: dict[str, TenantDocuments] = {}
    outcomes: dict[str, Outcome] = {}
    now = datetime.now(UTC)
    with ExtractorPool(workers=config.workers) as pool:
        for slug in context.partition_keys:
            started = time.perf_counter()
            try:
                found[slug] = run_library(database, slug, pool, now, config.budget_seconds)
                outcomes[slug] = Outcome("done", "", found[slug].figures())
            except Exception as exc:  # the tenant's alone: tenants_failed names it
                context.log.exception(f"documents failed for {slug}")
                outcomes[slug] = Outcome("failed", describe(exc))
            outcomes[slug].seconds = time.perf_counter() - started
    add_partition_metadata(context, outcomes, dg.AssetKey("documents"))
    yield dg.MaterializeResult(
        metadata=_metadata(found),
        check_results=[_failures_check(found, config.failure_threshold),
                       failed_check(outcomes, dg.AssetKey("documents"))],
    )


def _metadata(found: dict[str, TenantDocuments]) -> dict:
    status: Counter = Counter()
    category: Counter = Counter()
    for tenant in found.values():
        status.update(tenant.by_status)
        category.update(tenant.by_category)
    pages = sum(t.drained.pages for t in found.values())
    seconds = sum(t.drained.seconds for t in found.values())
    files: Counter = Counter()
    for tenant in found.values():
        files.update(tenant.registered)
    return {
        **{f"files_{k}_now": files.get(k, 0) for k in ("new", "changed", "duplicate", "removed")},
        **{f"status_{k}": v for k, v in sorted(status.items())},
        "by_category": dg.MetadataValue.md(_table("category", category)),
        "extracted_now": sum(t.drained.files for t in found.values()),
        "pages_now": pages,
        "pages_per_second": round(pages / seconds, 1) if seconds else 0.0,
        "needs_ocr_now": sum(t.drained.needs_ocr for t in found.values()),
        "index_chunks": sum(t.chunks for t in found.values()),
        "embedded_now": sum(t.embedded for t in found.values()),
    }


def _table(name: str, counts: Counter) -> str:
    rows = "\n".join(f"| {k} | {v} |" for k, v in sorted(counts.items()))
    return f"| {name} | documents |\n|---|---|\n{rows}" if rows else "none"


def _failures_check(found: dict[str, TenantDocuments], threshold: int) -> dg.AssetCheckResult:
    lines = [f"- {slug}: #{f['id']} {f['filename']}: {f['error']}"
             for slug, tenant in found.items() for f in tenant.failures]
    return dg.AssetCheckResult(
        check_name="extraction_failures", asset_key="documents",
        passed=len(lines) <= threshold, severity=dg.AssetCheckSeverity.WARN,
        description=f"At most {threshold} files failed extraction (`steward docs list "
        "--status failed`; fix or replace the file, it is extracted again when it changes).",
        metadata={"failed": len(lines), "files": listing_md(lines)},
    )
