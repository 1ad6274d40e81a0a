"""Hourly cycle benchmark: one full cycle of every tenant, launched as the schedule launches it.

N tenants (default 1,000) of demo data (pipelines/demo: 2,000 contacts with their touches, 200
orders with planted defects, 100 deals, 50 quotes each) in a scratch PostgreSQL database, all in
dry_run with their send window open around the clock, the application running as a role bound by
row-level security. `cycle_schedule` is evaluated for this hour and every RunRequest it returns
is launched as a run of job `cycle` with its tags (pipelines/launch.py, from workspace.yaml),
on a private Dagster instance with PostgreSQL storage and the default run coordinator; the runs
execute in their own processes and share the machine's cores.

Prints the wall time of the whole cycle, the number of runs, and per run the Dagster run time
split into Steward's own seconds (the assets' `steward_seconds`) and Dagster's bookkeeping, plus
the ratio of Steward's own work to the floor: simply reading the same state rows from PostgreSQL
as the same role, best of 2. Targets: <= 5 minutes, <= 20 runs, Steward's work <= 10x the floor.
Checks that every tenant has one completed cycle for the hour and that mail was written, then
profiles the phases of a few fresh tenants in-process (bench/cycle/profile.py).
Run from the repository root as `python -m bench.cycle`; needs PostgreSQL.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.engine import make_url

from bench.cycle import autoanalyze, data, floor, profile, runs
from bench.datagen import APP_ROLE, drop_database, scratch_database
from pipelines.demo import DemoSize
from resources.database import Database, normalize_url
from resources.database.roles import ensure_app_role


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--contacts", type=int, default=2000, help="per tenant")
    parser.add_argument("--orders", type=int, default=200, help="per tenant")
    parser.add_argument("--deals", type=int, default=100, help="per tenant")
    parser.add_argument("--quotes", type=int, default=50, help="per tenant")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="data loaders")
    parser.add_argument("--profile-tenants", type=int, default=5, help="0: no profile")
    parser.add_argument("--profile-top", type=int, default=25)
    parser.add_argument(
        "--hour-margin",
        type=float,
        help="minutes the cycle needs before the hour turns; with fewer left, wait for the turn "
        "(default 8, with --production 23: the daemon's first minute and its sensors' runs come "
        "first)",
    )
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds for all runs")
    parser.add_argument("--dagster-storage", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument(
        "--production",
        action="store_true",
        help="the project's dagster.postgres.yaml (queued runs) with dagster-daemon running "
        "every schedule and sensor; the cycle starts once the sensors' first runs are done",
    )
    parser.add_argument(
        "--next-hour",
        action="store_true",
        help="with --production: keep the daemon running after the first cycle and measure the "
        "next hour's cycle too, which the daemon's schedule launches on its own when the hour "
        "turns (a tenant's first cycle with the engines enrolls everything it ever had; the "
        "next one is the hourly cycle of a running installation)",
    )
    parser.add_argument(
        "--pg-url",
        default=os.environ.get(
            "STEWARD_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    args = parser.parse_args()
    admin_root = normalize_url(args.pg_url)
    name, admin_url, app_url = scratch_database(admin_root)
    dagster_name, dagster_url, _ = scratch_database(admin_root)
    try:
        with tempfile.TemporaryDirectory(prefix="steward-bench-cycle-") as tmp:
            storage = None
            if args.dagster_storage == "postgres":
                storage = make_url(dagster_url).set(drivername="postgresql+psycopg2")
                storage = storage.render_as_string(False)
            run(args, admin_url, app_url, Path(tmp), storage)
    finally:
        drop_database(admin_root, name)
        drop_database(admin_root, dagster_name)


def run(args, admin_url: str, app_url: str, tmp: Path, storage_url: str | None) -> None:
    os.environ["STEWARD_HOME"] = str(tmp / "steward")
    os.environ["STEWARD_DATABASE_URL"] = app_url
    os.environ["DAGSTER_HOME"] = str(tmp / "dagster")
    for switch in ("STEWARD_KILL_SWITCH", "STEWARD_EMAIL_SEND_DISABLED", "STEWARD_SMTP_URL"):
        os.environ.pop(switch, None)
    if args.production:
        if storage_url is None:
            raise SystemExit("--production needs --dagster-storage postgres")
        os.environ["STEWARD_DAGSTER_PG_URL"] = storage_url
    else:
        runs.write_instance_yaml(tmp / "dagster", storage_url)
    from pipelines.instance import get_instance
    from sensors.tenants import sync_partitions

    admin = Database(url=admin_url)
    admin.upgrade()
    ensure_app_role(admin.engine, APP_ROLE)
    app = Database(url=app_url)
    size = DemoSize(
        tenants=args.tenants,
        contacts=args.contacts,
        orders=args.orders,
        deals=args.deals,
        quotes=args.quotes,
        messages=0,
        documents=0,
    )
    clock = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    loaded = data.load(app_url, 0, args.tenants, size, clock, True, args.workers)
    vacuum = data.analyze(admin_url)
    counts = data.row_counts(admin)

    floors = [floor.read_state(app_url, loaded.tenants) for _ in range(2)]
    floor_s, floor_rows = min(floors)

    instance = get_instance()
    sync_partitions(instance, [t.slug for t in app.tenants()])
    log = tmp / "dagster.log"
    if args.next_hour and not args.production:
        raise SystemExit("--next-hour needs --production: the daemon's schedule launches it")
    margin = args.hour_margin if args.hour_margin is not None else 23 if args.production else 8
    hour = wait_for_margin(margin)
    later = None
    with stderr_to(log), daemon_running(args.production, tmp) as settled, \
            autoanalyze.standing_in(admin_url) as analyzed:
        cycle = runs.run_cycle(instance, hour, args.timeout)
        crossed = datetime.now(UTC) >= hour + timedelta(hours=1)
        if args.next_hour:
            later = runs.scheduled_cycle(instance, hour + timedelta(hours=1), args.timeout)
        others = runs.other_runs(instance)
    if args.production:
        print(f"daemon: the sensors' first runs took {settled():.1f}s before the cycle; runs "
              f"by job when it ended: {others}")
    eml = sum(1 for _ in (tmp / "steward" / "outbox").rglob("*.eml"))
    if analyzed:
        print(f"autovacuum is off on this server: the bench analyzed as it would have, "
              f"{len(analyzed)} times ({', '.join(sorted(set(analyzed)))})")

    print(f"machine: {platform.node()} {os.cpu_count()} cores, {datetime.now(UTC):%Y-%m-%d}")
    print(
        f"data: {args.tenants} tenants x {args.contacts} contacts, {args.orders} orders, "
        f"{args.deals} deals, {args.quotes} quotes (demo generator, dry_run, send window "
        "00-24 every day)"
    )
    print("rows: " + ", ".join(f"{v:,} {t}" for t, v in counts.items()))
    print(
        f"generate + load: {loaded.seconds:6.1f}s wall with {args.workers} worker(s) (build "
        f"{loaded.build_seconds:.1f}s, load {loaded.load_seconds:.1f}s summed over workers); "
        f"VACUUM ANALYZE {vacuum:.1f}s  (not part of the targets)"
    )
    print(
        f"floor: read the state rows ({', '.join(floor.TABLES)}) of every tenant, runtime "
        f"role, one connection: {floor_s:6.2f}s for {floor_rows:,} rows "
        f"({floor_s / args.tenants * 1000:.1f} ms per tenant; rounds "
        f"{'/'.join(f'{s:.2f}s' for s, _ in floors)})"
    )
    problems = []
    for figures in (cycle, later):
        if figures is None:
            continue
        if figures is later:
            floor_s, rows = min(floor.read_state(app_url, loaded.tenants) for _ in range(2))
            print(f"-- next hour, launched by the daemon's schedule {figures.evaluate:.1f}s after "
                  f"the hour turned; the floor read again (the engines' tables hold rows now): "
                  f"{floor_s:.2f}s for {rows:,} rows")
        elif later is not None:
            print("-- first cycle with the engines")
        runs.report(args.tenants, figures, floor_s)
        cycles, complete, outbox = data.outcome_counts(admin, figures.hour)
        print(
            f"outcome: cycles for {figures.hour:%Y-%m-%dT%H} by status {dict(cycles)}; tenants "
            f"with one completed cycle: {complete}/{args.tenants}; .eml files written in all: "
            f"{eml:,}"
        )
        print("outbox rows: " + ", ".join(f"{k} {v:,}" for k, v in sorted(outbox.items())))
        for engine, cost in sorted(data.engine_costs(admin, figures.hour).items()):
            steps = ", ".join(f"{k} {int(v):,}" for k, v in sorted(cost.items()) if k != "ms")
            print(f"engine {engine}: {cost['ms']:.1f} ms per tenant; {steps}")
        problems += verify(args, figures, complete, outbox, crossed and figures is cycle)
    if later is not None and datetime.now(UTC) >= later.hour + timedelta(hours=1):
        problems.append("the next hour turned before its cycle ended")
    if problems:
        print("last lines of the runs' log:\n" + "\n".join(log.read_text().splitlines()[-40:]))
    if args.profile_tenants:
        report_profile(args, admin_url, app_url, app, size, clock, hour)
    if problems:
        raise SystemExit("FAILED: " + "; ".join(problems))


@contextmanager
def daemon_running(production: bool, tmp: Path):
    """With --production, dagster-daemon runs the schedules and sensors (and dequeues the
    runs) for the whole cycle; it is given a minute, and the runs its sensors start (the new
    orders of every tenant) are let finish first, so the cycle's figures are its own. Yields a
    function giving how long that wait took."""
    if not production:
        yield lambda: 0.0
        return
    from dagster import DagsterInstance

    from pipelines.instance import PROJECT

    started = time.perf_counter()
    daemon = subprocess.Popen(
        [str(Path(sys.executable).with_name("dagster-daemon")), "run", "-w",
         str(PROJECT / "workspace.yaml")],
        cwd=PROJECT,
        stdout=(tmp / "daemon.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        with DagsterInstance.get() as instance:
            time.sleep(60)
            while runs.busy(instance):
                time.sleep(2)
        waited = time.perf_counter() - started
        yield lambda: waited
    finally:
        daemon.terminate()
        daemon.wait(timeout=60)


@contextmanager
def stderr_to(path: Path):
    """Point file descriptor 2 at `path`; the run processes Dagster starts inherit it."""
    sys.stderr.flush()
    saved = os.dup(2)
    with path.open("ab") as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


def wait_for_margin(margin_minutes: float) -> datetime:
    """This hour, unless it ends before the cycle could: then wait for the next one. (A phase
    that starts after the hour turned takes the hour as a replay and sends nothing.)"""
    now = datetime.now(UTC)
    turn = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    if turn - now < timedelta(minutes=margin_minutes):
        wait = (turn - now).total_seconds() + 2
        print(f"(waiting {wait:.0f}s for {turn:%H:%M} UTC: less than {margin_minutes} min left)")
        time.sleep(wait)
    return datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


def verify(args, cycle: runs.CycleFigures, complete: int, outbox, crossed: bool) -> list[str]:
    problems = []
    if crossed:
        problems.append("the hour turned during the cycle: later phases ran as a replay")
    failed = [r.run_id for r in cycle.runs if r.status != "SUCCESS"]
    if failed:
        problems.append(f"runs not successful: {failed}")
    if any(s.counts.get("failed") for r in cycle.runs for s in r.steps):
        problems.append("tenants failed in some phase (see the step counts)")
    if complete != args.tenants:
        problems.append(f"{complete} of {args.tenants} tenants have one completed cycle")
    if not outbox:
        problems.append("no outbox rows")
    return problems


def report_profile(args, admin_url, app_url, app: Database, size: DemoSize, clock, hour) -> None:
    count = args.profile_tenants
    loaded = data.load(app_url, args.tenants, count + 1, size, clock, True, 1)
    fresh = profile.load_state_ms(app, loaded.tenants[-1], hour)
    data.analyze(admin_url)  # the plans depend on statistics knowing their tenant ids
    analyzed = profile.load_state_ms(app, loaded.tenants[-1], hour)
    unit = profile.unit_costs(app, loaded.tenants[-1])
    timed = loaded.tenants[1:]
    floor_s = min(floor.read_state(app_url, timed)[0] for _ in range(2))
    costs = profile.profile_tenants(app, loaded.tenants, hour, args.profile_top)
    per = {k: v / costs.tenants * 1000 for k, v in costs.seconds.items()}
    own = sum(v for k, v in per.items() if k != "checks")
    floor_ms = floor_s / count * 1000
    print(
        f"profile: {count} fresh tenants through the phases in this process (no Dagster), ms "
        f"per tenant; floor {floor_ms:.1f} ms, phases {own:.1f} ms = {own / floor_ms:.1f}x"
    )
    for name in profile.PHASES:
        sql, scoping = (costs.sql[name] / count * 1000, costs.scoping[name] / count * 1000)
        print(
            f"  {name:<8} {per[name]:7.1f} ms: SQL execute {sql:6.1f}, scoping {scoping:5.1f}, "
            f"rest {per[name] - sql - scoping:6.1f};  {costs.statements[name] / count:4.0f} "
            f"statements in {costs.transactions[name] / count:3.0f} transactions"
        )
    for label, seconds in costs.parts.items():
        print(f"    {label:<42} {seconds / count * 1000:7.1f} ms")
    print(f"  act figures of the last tenant: {costs.figures}")
    print(
        f"  load_state of a tenant loaded after the last ANALYZE: {fresh:.1f} ms; after ANALYZE "
        f"{analyzed:.1f} ms. An empty tenant transaction (Database.for_tenant): "
        f"{unit['transaction']:.0f} us; scoping one statement (scope_statement): "
        f"{unit['scoping']:.0f} us"
    )
    print(f"cProfile of one more such tenant, top {args.profile_top} functions by own time:")
    print(costs.top)
    print(f"the same, Steward's functions by cumulative time (top {args.profile_top}):")
    print(costs.ours)


if __name__ == "__main__":
    main()
