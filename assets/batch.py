"""What every tenant-batched asset reports, the same way.

One run covers a range of tenant partitions and Dagster records one materialization event per
partition anyway; each event carries its own tenant's figures (partition-scoped metadata), so a
partition's page shows that tenant, not the whole run. The range as a whole
is judged by the `tenants_failed` check: ERROR severity, red as soon as one tenant of the range
failed, with the tenants and their reasons. A tenant's failure is isolated (the others go on), so
without this check a range with failures would look as green as one without.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import dagster as dg
import sqlalchemy as sa
from dagster._core.execution.context.metadata_logging import (
    AssetMetadataHandle,
    OutputMetadataAccumulator,
)

from resources.database import Database, DatabaseError
from services.outcome import Outcome

FAILED_CHECK = "tenants_failed"
SHOWN = 50
# For steps that talk to servers (ingest, dispatch): a step that fails for a transient reason is
# tried again a little later; both are idempotent, so a second attempt redoes nothing twice.
TRANSIENT_RETRY = dg.RetryPolicy(max_retries=2, delay=20, backoff=dg.Backoff.EXPONENTIAL)
TRANSIENT = (OSError, TimeoutError, sa.exc.OperationalError)


def require_schema(database: Database) -> None:
    """A database behind the code is fixed by a person (`steward db upgrade`), not by retrying:
    the run fails at once with that one line."""
    try:
        database.require_current_schema()
    except DatabaseError as exc:
        raise dg.Failure(str(exc), allow_retries=False) from None


def failed_spec(asset: str) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        FAILED_CHECK,
        asset=asset,
        description="No tenant of the run's range failed; a failed one is named with its reason.",
    )


def partition_metadata(outcome: Outcome) -> dict[str, Any]:
    """Flat values the UI shows as a table: numbers stay numbers, anything else is text."""
    values = {
        k: v if isinstance(v, int | float) and not isinstance(v, bool) else str(v)
        for k, v in outcome.figures.items()
    }
    return {
        "status": outcome.status,
        "detail": outcome.detail,
        **values,
        "seconds": round(outcome.seconds, 3),
    }


def add_partition_metadata(
    context: dg.AssetExecutionContext, outcomes: dict[str, Outcome], asset_key: dg.AssetKey
) -> None:
    """What `context.add_asset_metadata(..., partition_key=slug)` does for each tenant, in one
    step: the public call checks the key against the instance's dynamic partitions on every
    call, a query each (12 s of a 100-tenant cycle on PostgreSQL, and quadratic in the range),
    where these keys are the step's own partition keys. It writes the step's private metadata
    accumulator; tests/test_dagster.py pins the Dagster release this was checked against."""
    targeted = set(context.partition_keys)
    step = context.op_execution_context._step_execution_context
    accumulated = step._metadata_accumulator.per_output_metadata
    step._metadata_accumulator = OutputMetadataAccumulator(
        per_output_metadata={
            **accumulated,
            **{
                AssetMetadataHandle(asset_key=asset_key, partition_key=slug): partition_metadata(o)
                for slug, o in outcomes.items()
                if slug in targeted
            },
        }
    )


def listing_md(lines: list[str]) -> dg.MetadataValue:
    """Markdown lines for a check's metadata, the first SHOWN of them and how many more."""
    more = f"\n- ... and {len(lines) - SHOWN} more" if len(lines) > SHOWN else ""
    return dg.MetadataValue.md("\n".join(lines[:SHOWN]) + more if lines else "none")


def failed_check(outcomes: dict[str, Outcome], asset_key: dg.AssetKey) -> dg.AssetCheckResult:
    counts = Counter(o.status for o in outcomes.values())
    failed = [f"- {slug}: {o.detail}" for slug, o in outcomes.items() if o.status == "failed"]
    listing = "\n".join(failed[:SHOWN]) + (
        f"\n- … and {len(failed) - SHOWN} more" if len(failed) > SHOWN else ""
    )
    return dg.AssetCheckResult(
        check_name=FAILED_CHECK,
        asset_key=asset_key,
        passed=not failed,
        severity=dg.AssetCheckSeverity.ERROR,
        description=f"{len(failed)} of {len(outcomes)} tenant(s) failed"
        if failed
        else f"all {len(outcomes)} tenant(s) ran",
        metadata={
            "tenants": len(outcomes),
            "done": counts["done"],
            "skipped": counts["skipped"],
            "failed": counts["failed"],
            "steward_seconds": round(sum(o.seconds for o in outcomes.values()), 3),
            "failures": dg.MetadataValue.md(listing or "none"),
        },
    )


def worth_recording(outcomes: dict[str, Outcome]) -> bool:
    """A materialization says the asset was made: when every tenant was skipped (nothing to do
    for the whole range) or failed, there is nothing to record; the check still reports."""
    return any(o.status == "done" for o in outcomes.values())
