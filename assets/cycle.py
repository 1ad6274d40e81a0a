"""The hourly cycle as four assets partitioned by tenant: plan → act → react → reflect.

One run covers a range of tenant partitions (BackfillPolicy.single_run): each asset runs its
phase for every tenant of the range (services/cycle/phases.py), so 1,000 tenants cost four
steps, not 4,000. A tenant's failure is recorded on its cycle and the others go on; its later
phases skip it. The hour is the `steward/hour` run tag, or the current hour; an hour already past
is a replay that decides but neither records nor sends. Per-tenant outcomes are in `agent_runs`
and `reflections` (and the metadata table below); the checks put numbers on the rules the owner
cares about.
"""

import time
from datetime import UTC, datetime
from functools import partial

import dagster as dg
import pydantic

from agent.alerts import POLICY_BLOCK_THRESHOLD, policy_block_spike
from agent.checks import CYCLE_FAILURE_LIMIT, ORDER_EXCEPTION_LIMIT
from agent.overview import as_markdown
from agent.validation import problems
from assets.hour import run_hour
from assets.partitions import tenant_partitions
from resources.alerts import Alerts
from resources.clients import Clients
from resources.database import Database
from resources.database.clock import aware
from resources.store.orders import exception_rate
from services.alerts import recent_blocks
from services.cycle.checks import failure_rate, outbox_duplicates
from services.cycle.phases import Cycle, Step, act_phase, fail, plan_phase, react_phase
from services.cycle.reflect import reflect_phase

SHOWN = 50
WARN = dg.AssetCheckSeverity.WARN


def launched_hour(context: dg.AssetExecutionContext) -> datetime:
    """The hour the run was created in: whether it replays a past hour is decided once, so a
    run that crosses the hour between its steps does not turn into a replay halfway."""
    record = context.instance.get_run_record_by_id(context.run_id)
    created = record.create_timestamp if record is not None else datetime.now(UTC)
    return aware(created).astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def run_phase(
    context: dg.AssetExecutionContext, database: Database, alerts: Alerts, name: str, phase
) -> dict:
    """Run `phase` for every tenant of the partition range; failures are the tenant's alone."""
    hour = run_hour(context)
    now = datetime.now(UTC)
    replay = hour < launched_hour(context)
    steps: dict[str, Step] = {}
    for slug in context.partition_keys:
        cycle = Cycle(database, slug, hour, context.run_id, now, replay, alerts)
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
            steps[slug] = Step("failed", message)
        steps[slug].seconds = time.perf_counter() - started
    return steps


def describe(exc: Exception) -> str:
    if isinstance(exc, pydantic.ValidationError):
        return f"invalid settings: {problems(exc)}"
    first = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {first[0] if first else ''}"


def result(steps: dict[str, Step], checks: list[dg.AssetCheckResult] | None = None):
    counts = {
        s: sum(1 for st in steps.values() if st.status == s) for s in ("done", "skipped", "failed")
    }
    rows = [{"tenant": slug, "status": st.status, "detail": st.line} for slug, st in steps.items()]
    shown = as_markdown(rows[:SHOWN]) + (
        f"\n\n… and {len(rows) - SHOWN} more" if len(rows) > SHOWN else ""
    )
    return dg.MaterializeResult(
        metadata={
            "tenants": len(steps),
            **counts,
            "steward_seconds": round(sum(st.seconds for st in steps.values()), 3),
            "per_tenant": dg.MetadataValue.md(shown),
        },
        check_results=checks or [],
    )


@dg.asset(
    partitions_def=tenant_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name="cycle",
    kinds={"python"},
    check_specs=[
        dg.AssetCheckSpec("engagement_compliance", asset="cycle_plan"),
        dg.AssetCheckSpec("order_exception_rate", asset="cycle_plan"),
    ],
)
def cycle_plan(
    context: dg.AssetExecutionContext, database: Database, alerts: Alerts
) -> dg.MaterializeResult:
    """Gather goals, orders, engagement, requests and cadences; propose the hour's actions."""
    database.require_current_schema()
    steps = run_phase(context, database, alerts, "plan", plan_phase)
    planned = {slug: st.figures for slug, st in steps.items() if st.status == "done"}
    low: dict[str, float] = {}
    flagged = total = 0
    for slug, figures in planned.items():
        with database.for_tenant(slug) as scope:
            target = scope.tenant.settings.thresholds.engagement_compliance_target
            exceptions, validated = exception_rate(scope)
        if figures["compliance_rate"] < target:
            low[slug] = figures["compliance_rate"]
        flagged, total = flagged + exceptions, total + validated
    rate = flagged / total if total else 0.0
    checks = [
        dg.AssetCheckResult(
            check_name="engagement_compliance",
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
            passed=rate <= ORDER_EXCEPTION_LIMIT,
            severity=WARN,
            description=f"At most {ORDER_EXCEPTION_LIMIT:.0%} of validated orders have an open "
            "exception.",
            metadata={"rate": round(rate, 4), "orders_flagged": flagged, "orders_validated": total},
        ),
    ]
    return result(steps, checks)


@dg.asset(
    partitions_def=tenant_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name="cycle",
    kinds={"python", "email"},
    deps=[cycle_plan],
    check_specs=[dg.AssetCheckSpec("no_duplicate_outbox_keys", asset="cycle_act")],
)
def cycle_act(
    context: dg.AssetExecutionContext,
    database: Database,
    clients: Clients,
) -> dg.MaterializeResult:
    """Every proposal through the gate; queued mail dispatched per the tenant's send mode."""
    act = partial(act_phase, clients=clients)
    steps = run_phase(context, database, clients.alerts, "act", act)
    acted = [slug for slug, st in steps.items() if st.status == "done"]
    duplicates = {slug: n for slug in acted if (n := outbox_duplicates(database, slug))}
    check = dg.AssetCheckResult(
        check_name="no_duplicate_outbox_keys",
        passed=not duplicates,
        description="No idempotency key appears twice in any tenant's outbox.",
        metadata={
            "tenants_with_duplicates": len(duplicates),
            "duplicates": sum(duplicates.values()),
        },
    )
    return result(steps, [check])


@dg.asset(
    partitions_def=tenant_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name="cycle",
    kinds={"python"},
    deps=[cycle_act],
)
def cycle_react(
    context: dg.AssetExecutionContext, database: Database, alerts: Alerts
) -> dg.MaterializeResult:
    """Outcomes since the last cycle: deliveries, failures, replies, suppressions, expiries."""
    return result(run_phase(context, database, alerts, "react", react_phase))


@dg.asset(
    partitions_def=tenant_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name="cycle",
    kinds={"python"},
    deps=[cycle_react],
    check_specs=[
        dg.AssetCheckSpec("cycle_failure_rate", asset="cycle_reflect"),
        dg.AssetCheckSpec("policy_block_spike", asset="cycle_reflect"),
    ],
)
def cycle_reflect(
    context: dg.AssetExecutionContext, database: Database, alerts: Alerts
) -> dg.MaterializeResult:
    """What changed, what was blocked and why, hints for the next hour; the cycle closes."""
    steps = run_phase(context, database, alerts, "reflect", reflect_phase)
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
    checks = [
        dg.AssetCheckResult(
            check_name="cycle_failure_rate",
            passed=rate <= CYCLE_FAILURE_LIMIT,
            severity=WARN,
            description=f"At most {CYCLE_FAILURE_LIMIT:.0%} of cycles failed in the last 24 hours.",
            metadata={"rate": round(rate, 4), "failed": failed, "cycles": total},
        ),
        dg.AssetCheckResult(
            check_name="policy_block_spike",
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
    return result(steps, checks)
