"""`steward insights build|show`: the weekly insights from the terminal.

`build` launches the `insights` job for a week (patterns, recommendations, the owner's report;
one run, every tenant); `show` prints a tenant's newest findings, its clients' patterns, the
recommendations with their status, and the path of its newest report. The daily anomalies are
built with the facts: `steward warehouse build`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import typer
from rich.table import Table

from agent.insights import MIN_ORDERS
from assets.insights import weekly_partitions
from assets.partitions import partition_tags
from pipelines.cli.common import CliError, out, ready_database
from pipelines.cli.run import QUIET_LOGS
from pipelines.instance import get_instance
from pipelines.launch import launch_job, run_failure_summary, wait_for_run
from resources.paths import steward_home
from resources.store import insights as store
from resources.store.tenants import get_tenant

app = typer.Typer(no_args_is_help=True, help="Insights: weekly build, show per tenant.")


def _monday(value: str | None) -> date:
    if value is None:
        today = datetime.now(UTC).date()
        return today - timedelta(days=today.weekday() + 7)
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise CliError(f"--week {value!r} is not a day: write YYYY-MM-DD") from None
    return day - timedelta(days=day.weekday())


@app.command("build")
def build(week: str = typer.Option(None, "--week",
                                   help="A day of the week (default: last week).")) -> None:
    """Patterns, recommendations and reports for the week, every tenant, in one Dagster run."""
    ready_database()
    monday = _monday(week)
    if monday.isoformat() not in weekly_partitions.get_partition_keys():
        raise CliError(f"the week of {monday} has not ended yet, or is before the first week")
    instance = get_instance()
    run_id = launch_job(instance, "insights", partition_tags([monday.isoformat()]), QUIET_LOGS)
    result = wait_for_run(instance, run_id)
    if result.status.value != "SUCCESS":
        raise CliError(f"run {run_id} {result.status.value.lower()}: "
                       f"{run_failure_summary(instance, run_id)}")
    out.print(f"insights: run {run_id} built the week of {monday}")


@app.command("show")
def show(tenant: list[str] = typer.Option(..., "--tenant", help="Tenant slug (repeatable)."),
         limit: int = typer.Option(5, "--limit", help="Patterns and recommendations shown.")
         ) -> None:
    """The tenant's newest anomalies, client patterns, recommendations and report."""
    db = ready_database()
    for slug in tenant:
        get_tenant(db, slug)
        with db.for_tenant(slug) as scope:
            latest = store.latest(scope, limit)
        out.print(f"[bold]{slug}[/bold]")
        _anomalies(latest["anomalies"])
        _patterns(latest["patterns"], limit)
        _strategies(latest["strategies"])
        reports = sorted((steward_home() / "reports" / slug).glob("week-*.html"))
        newest = reports[-1] if reports else "none yet (steward insights build)"
        out.print(f"  weekly report: {newest}")


def _anomalies(rows: list[dict]) -> None:
    if not rows:
        out.print("  anomalies: none judged yet (steward warehouse build)")
        return
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    out.print(f"  {rows[0]['day']}: {summary}")
    for r in rows:
        if r["status"] in ("anomaly", "not_enough_data", "no_variation"):
            out.print(f"    {r['metric']}: {r['status']}: {r['reason']}")


def _patterns(rows: list[dict], limit: int) -> None:
    if not rows:
        out.print("  client patterns: none yet (steward insights build)")
        return
    with_cadence = [r for r in rows if r["status"] == "pattern"]
    if with_cadence:
        table = Table("account", "orders", "usual gap", "days since", "risk", "reply hours")
        for r in with_cadence[:limit]:
            hours = ", ".join(f"{h}:00" for h in r["reply_hours"] or []) or "-"
            table.add_row(r["account"], str(r["orders"]), f"{r['median_interval_days']:g} d",
                          str(r["days_since"]), r["churn_risk"], hours)
        out.print(table)
    without = len(rows) - len(with_cadence)
    if without:
        out.print(f"  {without} account(s) without a cadence yet: fewer than "
                  f"{MIN_ORDERS} order days")


def _strategies(rows: list[dict]) -> None:
    if not rows:
        out.print("  recommendations: none (no client is quiet past its usual rhythm)")
        return
    for r in rows:
        out.print(f"  recommendation [{r['status']}]: {r['title']} (support {r['support']})")
