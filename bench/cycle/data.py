"""The benchmark's tenants: demo rows for N tenants loaded through the tenant scope, in parallel.

Each tenant is what `steward demo` makes (pipelines/demo: accounts, contacts with their touches,
products, orders with planted defects, deals, quotes) at the benchmark's sizes, in dry_run, with
no mailbox or documents folder. The tenants are registered first, one after another, so their
ids (and so the partition order) follow their index; the rows are then built and loaded by one
worker process per core, as the runtime role under row-level security.
"""

from __future__ import annotations

import multiprocessing
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from agent.settings import SendWindow
from pipelines.demo import DemoSize, build_tenant_rows, load_rows, tenant_spec
from pipelines.demo.load import demo_settings
from resources.database import Database
from resources.store.tenants import add_tenant

SEED = 42
COUNTED = (
    "tenants",
    "accounts",
    "products",
    "contacts",
    "touches",
    "orders",
    "deals",
    "quotes",
    "suppressions",
    "signals",
)


@dataclass
class Loaded:
    tenants: list[str]
    seconds: float  # wall time of registering, building and loading
    build_seconds: float  # summed over the workers: Faker and the row builders
    load_seconds: float  # summed over the workers: inserts through the tenant scope


def register(app: Database, first: int, count: int, all_hours: bool) -> list[str]:
    """Add demo tenants `first` .. `first + count - 1`, in dry_run; `all_hours` opens their send
    window around the clock so the mail they would send does not depend on when the bench runs."""
    slugs = []
    for index in range(first, first + count):
        spec = tenant_spec(index)
        settings = demo_settings(spec, None, None)
        if all_hours:
            window = SendWindow(start_hour=0, end_hour=24, weekends=True)
            settings = settings.model_copy(update={"send_window": window})
        add_tenant(app, spec.slug, name=spec.name, timezone=spec.timezone, settings=settings)
        slugs.append(spec.slug)
    return slugs


def load(
    app_url: str,
    first: int,
    count: int,
    size: DemoSize,
    now: datetime,
    all_hours: bool,
    workers: int,
) -> Loaded:
    started = time.perf_counter()
    slugs = register(Database(url=app_url), first, count, all_hours)
    jobs = [(app_url, index, size, now) for index in range(first, first + count)]
    build = insert = 0.0
    if workers <= 1:
        results = map(_load_one, jobs)
    else:
        pool = multiprocessing.get_context("spawn").Pool(workers)
        results = pool.imap_unordered(_load_one, jobs, chunksize=4)
    try:
        for built, inserted in results:
            build, insert = build + built, insert + inserted
    finally:
        if workers > 1:
            pool.close()
            pool.join()
    return Loaded(slugs, time.perf_counter() - started, build, insert)


def _load_one(job: tuple[str, int, DemoSize, datetime]) -> tuple[float, float]:
    app_url, index, size, now = job
    started = time.perf_counter()
    rows = build_tenant_rows(index, size, SEED, now)
    built = time.perf_counter()
    with Database(url=app_url).for_tenant(tenant_spec(index).slug) as scope:
        load_rows(scope, rows)
    return built - started, time.perf_counter() - built


def analyze(admin_url: str) -> float:
    """VACUUM ANALYZE, as autovacuum would have done by the time a real installation ran."""
    started = time.perf_counter()
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))
    engine.dispose()
    return time.perf_counter() - started


def row_counts(admin: Database) -> dict[str, int]:
    with admin.engine.connect() as conn:
        return {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar() for t in COUNTED}


def outcome_counts(admin: Database, hour: datetime) -> tuple[Counter, int, Counter]:
    """(agent_runs of the hour by status, tenants with exactly one completed cycle for the hour,
    outbox rows by kind and status), read as the superuser across all tenants."""
    with admin.engine.connect() as conn:
        cycles = Counter(
            dict(
                conn.execute(
                    sa.text(
                        "SELECT status, count(*) FROM agent_runs WHERE cycle_hour = :h "
                        "GROUP BY status"
                    ),
                    {"h": hour},
                ).all()
            )
        )
        complete = conn.execute(
            sa.text(
                "SELECT count(*) FROM (SELECT tenant_id FROM agent_runs WHERE cycle_hour = :h "
                "GROUP BY tenant_id HAVING count(*) = 1 AND bool_and(status = 'completed')) t"
            ),
            {"h": hour},
        ).scalar()
        outbox = Counter(
            {
                f"{kind} {status}": n
                for kind, status, n in conn.execute(
                    sa.text("SELECT kind, status, count(*) FROM outbox GROUP BY kind, status")
                ).all()
            }
        )
    return cycles, int(complete), outbox


def engine_costs(admin: Database, hour: datetime) -> dict[str, dict[str, float]]:
    """Per cadence engine, over the hour's cycles: mean milliseconds per tenant and the steps
    proposed, stopped and completed in all (from the plan's figures, `cadence_<engine>_*`)."""
    with admin.engine.connect() as conn:
        metrics = conn.execute(
            sa.text("SELECT metrics FROM agent_runs WHERE cycle_hour = :h AND metrics IS NOT NULL"),
            {"h": hour},
        ).scalars().all()
    costs: dict[str, dict[str, float]] = {}
    for figures in metrics:
        for key, value in figures.items():
            if key.startswith("cadence_") and isinstance(value, int | float):
                engine, _, outcome = key.removeprefix("cadence_").partition("_")
                costs.setdefault(engine, Counter())[outcome] += value
    tenants = max(len(metrics), 1)
    return {engine: {**totals, "ms": totals.get("ms", 0) / tenants}
            for engine, totals in costs.items()}

