"""`steward run AREA`: launch an area's job on the configured Dagster instance and wait for it.

The run is the same job the schedule launches, created from workspace.yaml, so it is listed in the
UI's run history and can be re-executed there.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import dagster as dg
import typer
from rich.table import Table

from agent.tasks.outcomes import BATCH_LIMIT
from assets.hour import HOUR_TAG, launch_tags, parse_hour
from assets.partitions import partition_tags
from pipelines.cli.common import CliError, out, ready_database
from pipelines.cli.cycle_report import print_cycle
from pipelines.instance import PROJECT, get_instance, prepare_dagster_home
from pipelines.jobs import AREA_JOBS
from pipelines.launch import launch_job, run_failure_summary, wait_for_run
from pipelines.schedules import batches as cycle_batches
from resources.database import Database
from resources.store import schema
from sensors.tenants import sync_partitions

QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def run(
    area: str = typer.Argument(..., help=f"One of: {', '.join(AREA_JOBS)}."),
    tenant: list[str] = typer.Option(None, "--tenant", help="Tenant slug (repeatable)."),
    all_tenants: bool = typer.Option(False, "--all", help="Every tenant, in one run."),
    hour: str = typer.Option(None, "--hour", help="Hour to run for, YYYY-MM-DDTHH in UTC."),
    limit: int = typer.Option(BATCH_LIMIT, "--limit", help="executor: tasks per tenant."),
    dry_run: bool = typer.Option(False, "--dry-run", help="executor: walk, run nothing."),
) -> None:
    """Launch AREA for some tenants or all of them, wait, and print what it did; `executor`
    runs one executor pass (default: every enabled tenant)."""
    if area == "executor":
        run_executor(tenant or [], limit, dry_run)
        return
    if area not in AREA_JOBS:
        areas = ", ".join([*AREA_JOBS, "executor"])
        raise CliError(f"unknown area {area!r}: choose one of {areas}")
    if bool(tenant) == all_tenants:
        raise CliError("give --tenant SLUG (one or more) or --all")
    tags = launch_tags(area)  # the hour too, so a re-execution from the UI replays it
    if hour:
        parse_hour(hour)
        tags[HOUR_TAG] = hour
    db = ready_database()
    slugs = [t.slug for t in db.tenants()]
    unknown = [s for s in tenant or [] if s not in slugs]
    if unknown:
        raise CliError(f"unknown tenant {unknown[0]!r} (see `steward tenant list`)")
    if not slugs:
        raise CliError("no tenants yet: add one with `steward tenant add` or run `steward demo`")
    instance = get_instance()
    sync_partitions(instance, slugs)
    if not all_tenants:
        batches = [[s] for s in tenant]
    else:
        batches = cycle_batches(slugs) if area == "cycle" else [slugs]
    failed = []
    for keys in batches:
        run_tags = {**tags, **partition_tags(keys)}
        if len(keys) == 1:
            run_tags["steward/tenant"] = keys[0]
        started = time.monotonic()
        with out.status(f"{area}: launching for {len(keys)} tenant(s)") as status:
            run_id = launch_job(instance, AREA_JOBS[area], run_tags, QUIET_LOGS)
            result = wait_for_run(
                instance,
                run_id,
                on_status=lambda s, rid=run_id: status.update(f"{area}: run {rid[:8]} {s.value}"),
            )
        seconds = time.monotonic() - started
        if result.status.value != "SUCCESS":
            failed.append(
                f"run {run_id} {result.status.value.lower()}: "
                f"{run_failure_summary(instance, run_id)}"
            )
            continue
        out.print(f"{area}: run {run_id} succeeded in {seconds:.1f}s for {len(keys)} tenant(s)")
        if area == "cycle":
            print_cycle(db, keys, run_id)
        else:
            print_summary(db, keys, run_id)
    if failed:
        raise CliError("; ".join(failed))


def run_executor(tenants: list[str], limit: int, dry_run: bool) -> None:
    """One pass of the `executor` job through Dagster, as its schedule launches it."""
    ready_database()
    instance = get_instance()
    config = {"tenants": tenants, "limit": limit, "dry_run": dry_run}
    run_config = {**QUIET_LOGS, "ops": {"execute_tasks": {"config": config}}}
    run_id = launch_job(instance, "executor", launch_tags("executor"), run_config)
    result = wait_for_run(instance, run_id)
    if result.status.value != "SUCCESS":
        raise CliError(
            f"run {run_id} {result.status.value.lower()}: {run_failure_summary(instance, run_id)}"
        )
    out.print(f"executor: run {run_id} succeeded", highlight=False)
    for record in instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_OUTPUT):
        summary = record.dagster_event.step_output_data.metadata.get("summary")
        if summary is not None:
            print(summary.value)


def print_summary(db: Database, slugs: list[str], run_id: str) -> None:
    """The warehouse events the run wrote, one table row per tenant."""
    events = schema.warehouse_events
    rows = []
    for slug in slugs:
        with db.for_tenant(slug) as scope:
            payloads = scope.execute(
                scope.select(events.c.event_type, events.c.payload)
                .where(events.c.dagster_run_id == run_id)
                .order_by(events.c.id)
            ).all()
        rows += [(slug, p.event_type, p.payload) for p in payloads]
    if not rows:
        return
    metrics = list(dict.fromkeys(key for _, _, payload in rows for key in payload))
    table = Table(
        "", *(f"{slug}\n{event_type}" for slug, event_type, _ in rows), title=f"run {run_id[:8]}"
    )
    for metric in metrics:
        table.add_row(metric, *(str(payload.get(metric, "")) for _, _, payload in rows))
    out.print(table)


def ui(port: int = typer.Option(3000, help="Port for the Dagster UI.")) -> None:
    """Start the Dagster UI and daemon (`dagster dev`) on the same instance the CLI uses."""
    prepare_dagster_home()
    os.chdir(PROJECT)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "dagster",
            "dev",
            "-w",
            str(PROJECT / "workspace.yaml"),
            "-p",
            str(port),
        ],
        check=False,
    )
