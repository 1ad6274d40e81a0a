"""Production-shape benchmark: the PostgreSQL Dagster instance (dagster.postgres.yaml, queued run
coordinator) with `dagster-daemon` running every schedule and sensor, and N demo tenants (default
100, `steward demo` sizes, Maildirs included) in a scratch PostgreSQL database bound by row-level
security.

It counts the runs the sensors and schedules make in the first minute after the daemon starts
(target: a handful, <= 5: one run per area however many tenants have work), then times `steward
run cycle --all` as a user types it, while the daemon keeps ticking (target: <= 30 s wall).
Everything goes through the real console script and the real daemon, in subprocesses.
Run from the repository root as `python -m bench.production`; needs PostgreSQL.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from bench.cycle import runs
from bench.datagen import APP_ROLE, drop_database, scratch_database
from pipelines.instance import EVENT_BATCH_SIZE, PROJECT
from resources.database import normalize_url

STEWARD = Path(sys.executable).with_name("steward")
DAEMON = Path(sys.executable).with_name("dagster-daemon")
TARGET_RUNS, TARGET_WALL = 5, 30.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tenants", type=int, default=100)
    parser.add_argument("--watch", type=float, default=60.0, help="seconds of daemon ticks")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get(
            "STEWARD_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    args = parser.parse_args()
    root = normalize_url(args.pg_url)
    app_name, admin_url, app_url = scratch_database(root)
    dagster_name, dagster_url, _ = scratch_database(root)
    try:
        with tempfile.TemporaryDirectory(prefix="steward-bench-prod-") as tmp:
            storage = make_url(dagster_url).set(drivername="postgresql+psycopg2")
            run(args, admin_url, app_url, storage.render_as_string(False), Path(tmp))
    finally:
        drop_database(root, app_name)
        drop_database(root, dagster_name)


def run(args, admin_url: str, app_url: str, dagster_url: str, tmp: Path) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("STEWARD_", "DAGSTER_"))},
        "STEWARD_HOME": str(tmp / "steward"),
        "DAGSTER_HOME": str(tmp / "dagster"),
        "STEWARD_DATABASE_URL": app_url,
        "STEWARD_DATABASE_ADMIN_URL": admin_url,
        "STEWARD_DAGSTER_PG_URL": dagster_url,
        "DAGSTER_EVENT_BATCH_SIZE": EVENT_BATCH_SIZE,  # as dagster.postgres.yaml asks of a daemon
    }
    steward(env, "db", "upgrade")
    steward(env, "db", "create-app-role", APP_ROLE)
    started = time.perf_counter()
    steward(env, "demo", "--tenants", str(args.tenants))
    demo_s = time.perf_counter() - started

    from dagster import DagsterInstance

    os.environ.update(env)
    log = (tmp / "daemon.log").open("wb")
    daemon = subprocess.Popen(
        [str(DAEMON), "run", "-w", str(PROJECT / "workspace.yaml")],
        cwd=PROJECT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        with DagsterInstance.get() as instance:
            time.sleep(args.watch)
            first_minute = Counter(r.job_name for r in instance.get_runs())
            started = time.perf_counter()
            ran = steward(env, "run", "cycle", "--all")
            cycle_s = time.perf_counter() - started
            cycle_runs = [
                runs.run_figures(instance, r.run_id, 0.0)
                for r in instance.get_runs()
                if r.job_name == "cycle"
            ]
            others = Counter(r.job_name for r in instance.get_runs())
    finally:
        daemon.terminate()
        daemon.wait(timeout=60)
        log.close()
    runs_made = sum(first_minute.values())
    print(f"machine: {platform.node()} {os.cpu_count()} cores, {datetime.now(UTC):%Y-%m-%d}")
    print(
        f"production instance (dagster.postgres.yaml, QueuedRunCoordinator) + dagster-daemon; "
        f"{args.tenants} demo tenants (steward demo, {demo_s:.0f}s to generate)"
    )
    print(
        f"first {args.watch:.0f}s of sensors and schedules: {runs_made} run(s) "
        f"{dict(first_minute)} vs <= {TARGET_RUNS} ({_met(runs_made <= TARGET_RUNS)})"
    )
    print(
        f"steward run cycle --all: {cycle_s:.1f}s wall in {len(cycle_runs)} run(s) vs <= "
        f"{TARGET_WALL:.0f}s ({_met(cycle_s <= TARGET_WALL)}); all runs by then {dict(others)}"
    )
    print("  " + next((line for line in ran.splitlines() if "succeeded in" in line), ran[-200:]))
    for r in cycle_runs:
        print(
            f"  run {r.run_id[:8]}: created -> started {r.created_to_start:.1f}s (queue, worker "
            f"start), run {r.duration:.1f}s = steward {r.steward:.1f}s + bookkeeping "
            f"{r.bookkeeping:.1f}s (worker start -> first step {r.startup:.1f}s)"
        )


def steward(env: dict[str, str], *command: str) -> str:
    done = subprocess.run(
        [str(STEWARD), *command], env=env, cwd=PROJECT, capture_output=True, text=True
    )
    if done.returncode:
        raise SystemExit(f"steward {' '.join(command)} failed: {done.stderr.strip()[-500:]}")
    return done.stdout


def _met(ok: bool) -> str:
    return "met" if ok else "MISSED"


if __name__ == "__main__":
    main()
