"""`steward warehouse build|export|status`: the daily facts from the terminal.

`build` launches the `warehouse` job over a range of days (one run, every tenant in each day,
listed in the UI like a backfill); `export` writes a day's facts as Parquet for pandas users;
`status` shows how far the facts reach and what the newest day holds.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import typer
from rich.table import Table

from assets.partitions import partition_tags
from assets.warehouse import FIRST_DAY
from pipelines.cli.common import CliError, out, ready_database
from pipelines.cli.run import QUIET_LOGS
from pipelines.instance import get_instance
from pipelines.launch import check_results, launch_job, run_failure_summary, wait_for_run
from resources.paths import steward_home
from resources.store.schema import FACTS
from services.warehouse.checks import newest_built_day
from services.warehouse.export import export_days
from services.warehouse.status import built_days, day_totals

app = typer.Typer(no_args_is_help=True, help="Warehouse facts: build, export, status.")


def _day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CliError(f"{option} {value!r} is not a day: write YYYY-MM-DD") from None


def _range(day: str | None, start: str | None, end: str | None,
           last_days: int | None = None) -> tuple[date, date]:
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    if sum(map(bool, (day, start or end, last_days))) > 1:
        raise CliError("give one of --day, --from/--to or --last")
    if last_days is not None:
        if last_days < 1:
            raise CliError("--last takes a number of days, 1 or more")
        start = (yesterday - timedelta(days=last_days - 1)).isoformat()
    first = _day(day or start, "--from") if (day or start) else yesterday
    last = _day(day or end, "--to") if (day or end) else (first if day else yesterday)
    if last < first:
        raise CliError(f"--to {last} is before --from {first}")
    if first < date.fromisoformat(FIRST_DAY):
        raise CliError(f"the warehouse's days start on {FIRST_DAY}")
    if last > datetime.now(UTC).date():
        raise CliError(f"{last} has not begun yet (UTC)")
    return first, last


@app.command("build")
def build(
    day: str = typer.Option(None, "--day", help="One day, YYYY-MM-DD (default: yesterday)."),
    start: str = typer.Option(None, "--from", help="First day of a range."),
    end: str = typer.Option(None, "--to", help="Last day of a range (default: yesterday)."),
    last_days: int = typer.Option(None, "--last", help="The N days up to yesterday."),
) -> None:
    """Build the facts for the days, every tenant, in one Dagster run."""
    ready_database()
    first, last = _range(day, start, end, last_days)
    days = (last - first).days + 1
    tags = partition_tags([(first + timedelta(days=n)).isoformat() for n in range(days)])
    instance = get_instance()
    started = time.monotonic()
    run_id = launch_job(instance, "warehouse", tags, QUIET_LOGS)
    result = wait_for_run(instance, run_id)
    if result.status.value != "SUCCESS":
        raise CliError(f"run {run_id} {result.status.value.lower()}: "
                       f"{run_failure_summary(instance, run_id)}")
    out.print(f"warehouse: run {run_id} built {days} day(s), {first} to {last}, "
              f"in {time.monotonic() - started:.1f}s")
    for name, passed, severity, detail in check_results(instance, run_id):
        verdict = "passed" if passed else f"FAILED ({severity.lower()})"
        out.print(f"  check {name}: {verdict}{': ' + detail if detail else ''}")


@app.command("export")
def export(
    day: str = typer.Option(None, "--day", help="One day, YYYY-MM-DD (default: yesterday)."),
    start: str = typer.Option(None, "--from", help="First day of a range."),
    end: str = typer.Option(None, "--to", help="Last day of a range."),
    last_days: int = typer.Option(None, "--last", help="The N days up to yesterday."),
    folder: Path = typer.Option(None, "--folder", help="Default: STEWARD_HOME/warehouse."),
    tenant: str = typer.Option(None, "--tenant", help="Only this tenant's rows."),
) -> None:
    """Write the days' facts as Parquet, a file per fact and day (Hive layout: day=...)."""
    db = ready_database()
    first, last = _range(day, start, end, last_days)
    if tenant and tenant not in {t.slug for t in db.tenants()}:
        raise CliError(f"unknown tenant {tenant!r} (see `steward tenant list`)")
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    built = built_days(db, days)
    missing = [d for d in days if d not in built]
    if missing:
        raise CliError(f"{len(missing)} day(s) not built yet, first {missing[0]}: "
                       f"run `steward warehouse build --from {missing[0]} --to {missing[-1]}`")
    target = folder or steward_home() / "warehouse"
    paths = export_days(db, days, target, tenant)
    out.print(f"wrote {len(paths)} Parquet file(s) for {len(days)} day(s) under {target}")


@app.command("status")
def status() -> None:
    """The newest built day and its totals per fact, over every tenant."""
    db = ready_database()
    newest = newest_built_day(db)
    if newest is None:
        out.print("no day built yet: `steward warehouse build --from YYYY-MM-DD`")
        return
    out.print(f"newest built day: {newest}")
    table = Table("fact", "rows", "tenants", "built at")
    for name, (rows, tenants, at) in day_totals(db, newest).items():
        table.add_row(name, str(rows), str(tenants), at)
    out.print(table)
    out.print(f"facts: {', '.join(t.name for t in FACTS)}")
