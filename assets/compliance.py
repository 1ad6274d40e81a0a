"""Where every tenant's compliance checks stand, as an asset partitioned by tenant with the checks
an owner reads in the UI.

It sits in the cycle's group after `cycle_plan` (whose compliance engine opens, validates,
reminds and escalates the checks), so each hourly cycle run keeps it current for its range of
tenants. `compliance_overdue` is red when a check is past its escalation delay without a
waiver, `compliance_due_soon` warns of checks in their window, `compliance_coverage` warns when
an entity a schedule targets has no check for its current period; each lists the first ones.
Each partition carries its tenant's figures, and `tenants_failed` names a tenant whose standing
could not be read (the others go on), as for every tenant-batched asset.
"""

import time
from collections.abc import Iterator

import dagster as dg

from assets.batch import (
    add_partition_metadata,
    failed_check,
    failed_spec,
    listing_md,
    require_schema,
)
from assets.cycle import describe, launched_hour
from assets.partitions import tenant_partitions
from resources.database import Database
from services.cadence.advance import calendar_of
from services.compliance import TenantCompliance, tenant_compliance
from services.outcome import Outcome

CHECKS = ("compliance_overdue", "compliance_due_soon", "compliance_coverage")


@dg.asset(
    name="compliance",
    group_name="cycle",
    deps=["cycle_plan"],
    kinds={"python"},
    partitions_def=tenant_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    check_specs=[dg.AssetCheckSpec(name, asset="compliance") for name in CHECKS]
    + [failed_spec("compliance")],
    description="Each tenant's compliance checks by standing: due soon, overdue, escalated, "
    "waived, complete, and the share of targeted entities with a current check.",
)
def compliance(context: dg.AssetExecutionContext, database: Database) -> Iterator:
    require_schema(database)
    hour = launched_hour(context)
    found: dict[str, TenantCompliance] = {}
    outcomes: dict[str, Outcome] = {}
    for slug in context.partition_keys:
        started = time.perf_counter()
        try:
            with database.for_tenant(slug) as scope:
                found[slug] = tenant_compliance(scope, calendar_of(scope).local_date(hour))
            outcomes[slug] = Outcome("done", "", _figures(found[slug]))
        except Exception as exc:  # the tenant's alone: tenants_failed names it
            context.log.exception(f"compliance standing failed for {slug}")
            outcomes[slug] = Outcome("failed", describe(exc))
        outcomes[slug].seconds = time.perf_counter() - started
    add_partition_metadata(context, outcomes, dg.AssetKey("compliance"))
    totals: dict[str, int] = {}
    for standing in found.values():
        for state, n in standing.counts.items():
            totals[state] = totals.get(state, 0) + n
    yield dg.MaterializeResult(
        metadata={f"checks_{k}": v for k, v in sorted(totals.items())},
        check_results=[*_checks(found), failed_check(outcomes, dg.AssetKey("compliance"))],
    )


def _figures(standing: TenantCompliance) -> dict[str, int | float]:
    return {"targeted": standing.targeted, "covered": standing.covered,
            "coverage": round(standing.coverage, 4), "overdue": len(standing.overdue),
            "due_soon": len(standing.due_soon)}


def _checks(found: dict[str, TenantCompliance]) -> list[dg.AssetCheckResult]:
    overdue, due_soon, missing = (_lines(found, name) for name in ("overdue", "due_soon",
                                                                   "missing"))
    targeted = sum(s.targeted for s in found.values())
    covered = sum(s.covered for s in found.values())
    return [
        dg.AssetCheckResult(
            check_name="compliance_overdue", asset_key="compliance", passed=not overdue,
            severity=dg.AssetCheckSeverity.ERROR,
            description="No compliance check is past its escalation delay without a waiver "
            "(`steward compliance checks --overdue`; complete or waive it).",
            metadata={"overdue": len(overdue), "tenants": sum(bool(s.overdue)
                                                             for s in found.values()),
                      "checks": listing_md(overdue)}),
        dg.AssetCheckResult(
            check_name="compliance_due_soon", asset_key="compliance", passed=not due_soon,
            severity=dg.AssetCheckSeverity.WARN,
            description="Compliance checks in their notification window with fields still "
            "missing or expired (`steward compliance checks --due`).",
            metadata={"due_soon": len(due_soon), "checks": listing_md(due_soon)}),
        dg.AssetCheckResult(
            check_name="compliance_coverage", asset_key="compliance",
            passed=not missing, severity=dg.AssetCheckSeverity.WARN,
            description="Every entity a compliance schedule targets has a check for its "
            "current period.",
            metadata={"coverage": round(covered / targeted, 4) if targeted else 1.0,
                      "targeted": targeted, "covered": covered, "missing": listing_md(missing)}),
    ]


def _lines(found: dict[str, TenantCompliance], name: str) -> list[str]:
    return [f"- {slug}: {line}" for slug, standing in found.items()
            for line in getattr(standing, name)]
