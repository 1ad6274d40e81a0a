"""Every tenant's campaigns, as an asset partitioned by tenant with the bounce-rate check an
owner reads in the UI.

It sits in the cycle's group after `cycle_act` (whose plan proposed each campaign's next batch
and whose dispatch sent it), so each hourly cycle run shows every live campaign's progress:
sent, remaining, skipped by reason, and its bounce, unsubscribe, complaint and reply rates.
`broadcast_bounce_rate` warns when a campaign's bounces pass 5% of what it sent, the level at
which the large mailbox providers start warning senders; the tenant's own, higher threshold
pauses the campaign (the cycle raises that alert).
"""

import time
from collections.abc import Iterator

import dagster as dg

from agent.broadcast import BOUNCE_WARN_PCT
from assets.batch import add_partition_metadata, failed_check, failed_spec, require_schema
from assets.cycle import describe, launched_hour
from assets.partitions import tenant_partitions
from resources.database import Database
from services.broadcasts.campaigns import Progress
from services.broadcasts.standing import bouncing, tenant_campaigns
from services.outcome import Outcome

SHOWN = 50
KEY = dg.AssetKey("broadcasts")


@dg.asset(
    name="broadcasts",
    group_name="cycle",
    deps=["cycle_act"],
    kinds={"python"},
    partitions_def=tenant_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    check_specs=[dg.AssetCheckSpec("broadcast_bounce_rate", asset="broadcasts"),
                 failed_spec("broadcasts")],
    description="Each tenant's live and recent campaigns: progress (sent, remaining, skipped) "
    "and bounce, unsubscribe, complaint and reply rates.",
)
def broadcasts(context: dg.AssetExecutionContext, database: Database) -> Iterator:
    require_schema(database)
    hour = launched_hour(context)
    found: dict[str, list[Progress]] = {}
    outcomes: dict[str, Outcome] = {}
    for slug in context.partition_keys:
        started = time.perf_counter()
        try:
            with database.for_tenant(slug) as scope:
                found[slug] = tenant_campaigns(scope, hour)
            outcomes[slug] = Outcome("done", "", _figures(found[slug]))
        except Exception as exc:  # the tenant's alone: tenants_failed names it
            context.log.exception(f"broadcast standing failed for {slug}")
            outcomes[slug] = Outcome("failed", describe(exc))
        outcomes[slug].seconds = time.perf_counter() - started
    add_partition_metadata(context, outcomes, KEY)
    every = [(slug, p) for slug, progress in found.items() for p in progress]
    high = [(slug, p) for slug, p in every if bouncing(p)]
    yield dg.MaterializeResult(
        metadata={"campaigns": len(every),
                  "running": sum(p.campaign["status"] == "running" for _, p in every),
                  "sent": sum(p.stats.sent for _, p in every),
                  "remaining": sum(p.stats.pending for _, p in every),
                  "progress": _table(every)},
        check_results=[
            dg.AssetCheckResult(
                check_name="broadcast_bounce_rate", asset_key=KEY, passed=not high,
                severity=dg.AssetCheckSeverity.WARN,
                description=f"No campaign bounces more than {BOUNCE_WARN_PCT}% of what it sent "
                "(`steward broadcast status NAME`; clean the list before the next one).",
                metadata={"campaigns_over": len(high),
                          "highest_pct": max((p.stats.bounce_pct for _, p in every),
                                             default=0.0),
                          "campaigns": _table(high)}),
            failed_check(outcomes, KEY),
        ],
    )


def _figures(progress: list[Progress]) -> dict[str, int | float]:
    return {"campaigns": len(progress), "sent": sum(p.stats.sent for p in progress),
            "remaining": sum(p.stats.pending for p in progress),
            "bounced": sum(p.stats.bounced for p in progress)}


def _table(rows: list[tuple[str, Progress]]) -> dg.MetadataValue:
    if not rows:
        return dg.MetadataValue.md("none")
    lines = ["| tenant | campaign | status | sent | remaining | skipped | bounce % | "
             "unsubscribe % | reply % |", "|---|---|---|---|---|---|---|---|---|"]
    for slug, p in rows[:SHOWN]:
        s = p.stats
        lines.append(f"| {slug} | {p.campaign['name']} | {p.campaign['status']} | {s.sent} | "
                     f"{s.pending} | {sum(s.skipped.values())} | {s.bounce_pct} | "
                     f"{s.rate(s.unsubscribed)} | {s.rate(s.replied)} |")
    if len(rows) > SHOWN:
        lines.append(f"\n... and {len(rows) - SHOWN} more")
    return dg.MetadataValue.md("\n".join(lines))
