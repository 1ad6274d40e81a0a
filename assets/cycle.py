"""The hourly cycle: four assets partitioned by tenant, plan → act → react → reflect, made by one
step.

One run covers a range of tenant partitions (BackfillPolicy.single_run) and each phase runs for
every tenant of the range before the next begins (services/cycle/phases.py), so 1,000 tenants cost
one step, not 4,000. The four are one multi-asset so that a phase with nothing to do for the whole
range (e.g. `cycle_act` materialized on its own, with no plan of this run to act on) records no
materialization without making Dagster skip the phases after it, as a missing upstream output
would. A tenant's failure is recorded on its cycle and the others go on; its later phases skip it,
and the phase's `tenants_failed` check turns red naming it. The hour is the `steward/hour` run tag
(every run Steward launches carries it, so a re-execution reproduces its hour), or the current
hour; an hour already past is a replay that decides but neither records nor sends. Per-tenant
outcomes are in `agent_runs` and `reflections` and on each partition's materialization.
"""

import gc
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import partial

import dagster as dg
import pydantic

from agent.alerts import POLICY_BLOCK_THRESHOLD, policy_block_spike
from agent.checks import CYCLE_FAILURE_LIMIT, ORDER_EXCEPTION_LIMIT
from agent.validation import problems
from assets.batch import (
    Outcome,
    add_partition_metadata,
    failed_check,
    failed_spec,
    require_schema,
    worth_recording,
)
from assets.hour import run_hour
from assets.partitions import tenant_partitions
from resources.clients import Clients
from resources.database import Database
from resources.database.clock import aware
from resources.store.orders import exception_rate
from services.alerts import recent_blocks
from services.cadence.feedback import feedback_gaps
from services.cadence.quotes import late_follow_ups
from services.cycle.checks import failure_rate, outbox_duplicates
from services.cycle.phases import Cycle, act_phase, fail, plan_phase, react_phase
from services.cycle.reflect import reflect_phase

SHOWN = 50
WARN = dg.AssetCheckSeverity.WARN
PHASES = ("plan", "act", "react", "reflect")


def launched_hour(context: dg.AssetExecutionContext) -> datetime:
    """The hour the run was created in: whether it replays a past hour is decided once, so a
    run that crosses the hour between its phases does not turn into a replay halfway."""
    record = context.instance.get_run_record_by_id(context.run_id)
    created = record.create_timestamp if record is not None else datetime.now(UTC)
    return aware(created).astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def run_phase(
    context: dg.AssetExecutionContext,
    database: Database,
    clients: Clients,
    name: str,
    phase: Callable[[Cycle], Outcome],
) -> dict[str, Outcome]:
    """Run `phase` for every tenant of the partition range; failures are the tenant's alone.

    What the run process holds by now (Dagster, the definitions, the resources: some 400,000
    objects) lives as long as the process, so it is frozen out of the garbage collector: a full
    collection, which the tenants' rows bring on every 20 to 40 tenants, walked all of it again
    (about 0.2 s each; 4.5 ms a tenant in a lab's next hour, 0.6 ms frozen)."""
    gc.freeze()
    hour = run_hour(context)
    now = datetime.now(UTC)
    replay = hour < launched_hour(context)
    steps: dict[str, Outcome] = {}
    for slug in context.partition_keys:
        cycle = Cycle(database, slug, hour, context.run_id, now, replay, clients.alerts)
        started = time.perf_counter()
        try:
            steps[slug] = phase(cycle)
        except Exception as exc:  # recorded on the tenant's cycle; the other tenants go on
            context.log.exception(f"{name} failed for {slug}")
            message = describe(exc)
            try:
                fail(cycle, name, message)
            except Exception:  # e.g. settings too broken to open the tenant: the log has it
                context.log.exception(f"could not record the failure for {slug}")
            steps[slug] = Outcome("failed", message)
        steps[slug].seconds = time.perf_counter() - started
    return steps


def describe(exc: Exception) -> str:
    if isinstance(exc, pydantic.ValidationError):
        return f"invalid settings: {problems(exc)}"
    first = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {first[0] if first else ''}"


def plan_checks(database: Database, steps: dict[str, Outcome]) -> list[dg.AssetCheckResult]:
    planned = {slug: st.figures for slug, st in steps.items() if st.status == "done"}
    low: dict[str, float] = {}
    stalled: dict[str, int] = {}
    late: dict[str, list[dict]] = {}
    gaps: dict[str, list[dict]] = {}
    flagged = total = 0
    now = datetime.now(UTC)
    for slug, figures in planned.items():
        with database.for_tenant(slug) as scope:
            thresholds = scope.tenant.settings.thresholds
            exceptions, validated = exception_rate(scope)
            if found := late_follow_ups(scope, now):
                late[slug] = found
            if found := feedback_gaps(scope, now):
                gaps[slug] = found
        if figures["compliance_rate"] < thresholds.engagement_compliance_target:
            low[slug] = figures["compliance_rate"]
        if figures["stalled_deals"] > thresholds.stalled_deals_warn:
            stalled[slug] = figures["stalled_deals"]
        flagged, total = flagged + exceptions, total + validated
    rate = flagged / total if total else 0.0
    return [
        dg.AssetCheckResult(
            check_name="engagement_compliance",
            asset_key="cycle_plan",
            passed=not low,
            severity=WARN,
            description="Every tenant keeps its target share of reachable contacts within their "
            "engagement window (--threshold engagement_compliance_target, default 80%).",
            metadata={
                "tenants_below": len(low),
                "lowest": min(low.values(), default=1.0),
                "below": dg.MetadataValue.md(
                    "\n".join(f"- {s}: {r:.1%}" for s, r in list(low.items())[:SHOWN]) or "none"
                ),
            },
        ),
        dg.AssetCheckResult(
            check_name="order_exception_rate",
            asset_key="cycle_plan",
            passed=rate <= ORDER_EXCEPTION_LIMIT,
            severity=WARN,
            description=f"At most {ORDER_EXCEPTION_LIMIT:.0%} of validated orders have an open "
            "exception.",
            metadata={"rate": round(rate, 4), "orders_flagged": flagged, "orders_validated": total},
        ),
        dg.AssetCheckResult(
            check_name="quote_follow_ups_on_time",
            asset_key="cycle_plan",
            passed=not late,
            severity=WARN,
            description="No quote follow-up is more than a day late without a decision "
            "(`steward quote show ID` says why one waits).",
            metadata={
                "tenants": len(late),
                "late": sum(len(v) for v in late.values()),
                "examples": _examples(late, lambda x: f"{x['quote_number']} step {x['step']}, "
                                      f"{x['hours_late']} h late: {x['why']}"),
            },
        ),
        dg.AssetCheckResult(
            check_name="feedback_coverage",
            asset_key="cycle_plan",
            passed=not gaps,
            severity=WARN,
            description="Every order delivered at least feedback_after_days ago has a feedback "
            "request or a recorded reason for none (`steward feedback list`).",
            metadata={
                "tenants": len(gaps),
                "orders": sum(len(v) for v in gaps.values()),
                "examples": _examples(gaps, lambda x: f"{x['order_number']}: {x['why']}"),
            },
        ),
        dg.AssetCheckResult(
            check_name="stalled_deals",
            asset_key="cycle_plan",
            passed=not stalled,
            severity=WARN,
            description="No tenant has more stalled open deals than its threshold "
            "(--threshold stalled_deals_warn, default 5): `steward deal list --stalled`.",
            metadata={
                "tenants_above": len(stalled),
                "stalled_deals": sum(f["stalled_deals"] for f in planned.values()),
                "above": dg.MetadataValue.md(
                    "\n".join(f"- {s}: {n}" for s, n in list(stalled.items())[:SHOWN]) or "none"
                ),
            },
        ),
    ]


def _examples(found: dict[str, list[dict]], line: Callable[[dict], str]) -> dg.MetadataValue:
    """The first few findings per tenant as markdown, for a check's metadata."""
    lines = [f"- {slug}: {line(item)}" for slug, items in found.items() for item in items[:3]]
    return dg.MetadataValue.md("\n".join(lines[:SHOWN]) or "none")


def act_checks(database: Database, steps: dict[str, Outcome]) -> list[dg.AssetCheckResult]:
    acted = [slug for slug, st in steps.items() if st.status == "done"]
    duplicates = {slug: n for slug in acted if (n := outbox_duplicates(database, slug))}
    return [
        dg.AssetCheckResult(
            check_name="no_duplicate_outbox_keys",
            asset_key="cycle_act",
            passed=not duplicates,
            description="No idempotency key appears twice in any tenant's outbox.",
            metadata={
                "tenants_with_duplicates": len(duplicates),
                "duplicates": sum(duplicates.values()),
            },
        )
    ]


def reflect_checks(database: Database, steps: dict[str, Outcome]) -> list[dg.AssetCheckResult]:
    now = datetime.now(UTC)
    readable = [slug for slug, st in steps.items() if st.status != "failed"]
    unreadable = len(steps) - len(readable)  # failed this run, before a record could be kept
    failed, total = failure_rate(database, readable, now)
    failed, total = failed + unreadable, total + unreadable
    spikes = {}
    for slug in readable:
        with database.for_tenant(slug) as scope:
            blocked = recent_blocks(scope, now)
        if policy_block_spike(blocked):
            spikes[slug] = blocked
    rate = failed / total if total else 0.0
    return [
        dg.AssetCheckResult(
            check_name="cycle_failure_rate",
            asset_key="cycle_reflect",
            passed=rate <= CYCLE_FAILURE_LIMIT,
            severity=WARN,
            description=f"At most {CYCLE_FAILURE_LIMIT:.0%} of cycles failed in the last 24 hours.",
            metadata={"rate": round(rate, 4), "failed": failed, "cycles": total},
        ),
        dg.AssetCheckResult(
            check_name="policy_block_spike",
            asset_key="cycle_reflect",
            passed=not spikes,
            severity=WARN,
            description=f"No tenant had {POLICY_BLOCK_THRESHOLD} or more policy blocks in the "
            "last hour.",
            metadata={
                "tenants": len(spikes),
                "spikes": dg.MetadataValue.md(
                    "\n".join(f"- {s}: {n}" for s, n in list(spikes.items())[:SHOWN]) or "none"
                ),
            },
        ),
    ]


CHECKS = {
    "plan": (plan_checks, ("engagement_compliance", "order_exception_rate", "stalled_deals",
                           "quote_follow_ups_on_time", "feedback_coverage")),
    "act": (act_checks, ("no_duplicate_outbox_keys",)),
    "react": (None, ()),
    "reflect": (reflect_checks, ("cycle_failure_rate", "policy_block_spike")),
}
KINDS = {"act": {"python", "email"}}
DESCRIPTIONS = {
    "plan": "Gather goals, orders, engagement, requests and cadences; propose the hour's actions.",
    "act": "Every proposal through the gate; queued mail dispatched per the tenant's send mode.",
    "react": "Outcomes since the last cycle: deliveries, failures, replies, suppressions, "
    "expiries.",
    "reflect": "What changed, what was blocked and why, hints for the next hour; the cycle "
    "closes.",
}


def _spec(index: int, name: str) -> dg.AssetSpec:
    return dg.AssetSpec(
        f"cycle_{name}",
        deps=[f"cycle_{PHASES[index - 1]}"] if index else [],
        group_name="cycle",
        kinds=KINDS.get(name, {"python"}),
        description=DESCRIPTIONS[name],
        skippable=True,
    )


@dg.multi_asset(
    name="cycle_phases",
    specs=[_spec(i, name) for i, name in enumerate(PHASES)],
    check_specs=[
        dg.AssetCheckSpec(check, asset=f"cycle_{name}")
        for name in PHASES
        for check in CHECKS[name][1]
    ]
    + [failed_spec(f"cycle_{name}") for name in PHASES],
    partitions_def=tenant_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    can_subset=True,
)
def cycle_phases(
    context: dg.AssetExecutionContext, database: Database, clients: Clients
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    """The selected phases in order, each for the whole range; a phase whose every tenant was
    skipped yields its checks but no materialization."""
    require_schema(database)
    phases = {
        "plan": plan_phase,
        "act": partial(act_phase, clients=clients),
        "react": react_phase,
        "reflect": reflect_phase,
    }
    selected_checks = context.selected_asset_check_keys
    for name in PHASES:
        key = dg.AssetKey(f"cycle_{name}")
        if key not in context.selected_asset_keys:
            continue
        outcomes = run_phase(context, database, clients, name, phases[name])
        compute, _ = CHECKS[name]
        checks = [failed_check(outcomes, key), *(compute(database, outcomes) if compute else [])]
        checks = [c for c in checks if dg.AssetCheckKey(key, c.check_name) in selected_checks]
        if worth_recording(outcomes):
            add_partition_metadata(context, outcomes, key)
            yield dg.MaterializeResult(asset_key=key, check_results=checks)
        else:
            context.log.info(f"{key.to_user_string()}: nothing to do for this range, not recorded")
            yield from checks
