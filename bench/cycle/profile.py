"""Where a tenant's own time goes: its four phases run in this process, timed and counted.

Fresh tenants (loaded like the others, after the measured cycle, so nothing of the cycle is
touched) go through plan → act → react → reflect directly, without Dagster, and then the
per-tenant queries behind the asset checks, which the assets run outside `steward_seconds`.
Per phase: milliseconds per tenant, of which in the driver executing SQL (round trip and server
work) and in tenant scoping (`scope_statement`, pure Python), SQL statements and transactions
(pool checkouts). One more tenant runs under cProfile, not counted in the timings, for the top
functions.
"""

from __future__ import annotations

import cProfile
import importlib
import io
import pstats
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

# The phases and check queries exactly as the assets import them.
from assets import cycle as assets
from pipelines import resources as pipeline_resources
from resources import database
from resources.database import Database
from resources.database.scoping import scope_statement
from resources.store.policy_state import load_state
from resources.store.schema import outbox
from services.killswitch import kill_state

PHASES = ("plan", "act", "react", "reflect", "checks")
# Parts of the phases timed on their own: (label, module whose name the caller uses, name).
PARTS = (
    ("plan: gather, all of it", "services.cycle.phases", "gather"),
    ("plan: gather: validate new orders", "services.cycle.gather", "validate_new_orders"),
    ("plan: gather: engagement clocks, all of it", "services.cycle.gather", "engagement_clocks"),
    ("plan: gather: engagement clocks: pandas", "services.clocks", "contact_clocks"),
    ("act: gate (propose), all of it", "services.cycle.phases", "propose"),
    ("act: gate: state load", "services.gate", "load_state"),
    ("act: dispatch", "services.cycle.phases", "dispatch_tenant"),
)
OURS = (
    re.escape(str(Path(__file__).resolve().parents[2])) + "/(agent|resources|services|assets)/"
)


@dataclass
class PhaseCosts:
    seconds: Counter = field(default_factory=Counter)
    statements: Counter = field(default_factory=Counter)
    transactions: Counter = field(default_factory=Counter)
    sql: Counter = field(default_factory=Counter)  # seconds in cursor.execute
    scoping: Counter = field(default_factory=Counter)  # seconds in scope_statement
    parts: Counter = field(default_factory=Counter)  # seconds in each of PARTS
    tenants: int = 0
    top: str = ""
    ours: str = ""
    figures: dict = field(default_factory=dict)


def profile_tenants(app: Database, slugs: list[str], hour: datetime, top: int) -> PhaseCosts:
    """Time every tenant of `slugs` but the first, which runs under cProfile instead."""
    costs = PhaseCosts()
    counter = {"statements": 0, "checkouts": 0, "sql": 0.0, "scoping": 0.0, "began": 0.0}

    def on_statement(*_args) -> None:
        counter["statements"] += 1
        counter["began"] = time.perf_counter()

    def on_executed(*_args) -> None:
        counter["sql"] += time.perf_counter() - counter["began"]

    def on_checkout(*_args) -> None:
        counter["checkouts"] += 1

    def scoped(stmt, tenant_id):
        began = time.perf_counter()
        try:
            return scope_statement(stmt, tenant_id)
        finally:
            counter["scoping"] += time.perf_counter() - began

    engine = app.engine
    sa.event.listen(engine, "before_cursor_execute", on_statement)
    sa.event.listen(engine, "after_cursor_execute", on_executed)
    sa.event.listen(engine.pool, "checkout", on_checkout)
    database.scope_statement = scoped  # TenantScope.execute calls it by this name
    originals = _time_parts(costs.parts)
    try:
        profiler = cProfile.Profile()
        profiler.enable()
        _one_tenant(app, slugs[0], hour, PhaseCosts(), counter)
        profiler.disable()
        costs.top = _top(profiler, "tottime", top)
        costs.ours = _top(profiler, "cumulative", top, OURS)
        costs.parts.clear()
        for slug in slugs[1:]:
            _one_tenant(app, slug, hour, costs, counter)
            costs.tenants += 1
    finally:
        for (module, name), original in originals.items():
            setattr(module, name, original)
        database.scope_statement = scope_statement
        sa.event.remove(engine, "before_cursor_execute", on_statement)
        sa.event.remove(engine, "after_cursor_execute", on_executed)
        sa.event.remove(engine.pool, "checkout", on_checkout)
    return costs


def _time_parts(seconds: Counter) -> dict:
    """Wrap each of PARTS (where the caller looks it up) to add its time to `seconds`."""
    originals = {}
    for label, module_name, name in PARTS:
        module = importlib.import_module(module_name)
        original = getattr(module, name, None)
        if original is None:  # a part that silently vanished from the profile would mislead
            raise SystemExit(f"bench/cycle/profile.py: {module_name}.{name} is gone; update PARTS")

        def timed(*args, _original=original, _label=label, **kwargs):
            began = time.perf_counter()
            try:
                return _original(*args, **kwargs)
            finally:
                seconds[_label] += time.perf_counter() - began

        originals[(module, name)] = original
        setattr(module, name, timed)
    return originals


def _one_tenant(app: Database, slug: str, hour: datetime, costs: PhaseCosts, counter) -> None:
    now = datetime.now(UTC)
    clients = pipeline_resources.clients
    cycle = assets.Cycle(app, slug, hour, f"bench-profile-{slug}", now, False, clients.alerts)
    steps = {
        "plan": lambda: assets.plan_phase(cycle),
        "act": lambda: assets.act_phase(cycle, clients),
        "react": lambda: assets.react_phase(cycle),
        "reflect": lambda: assets.reflect_phase(cycle),
        "checks": lambda: _checks(app, slug, now),
    }
    for name, step in steps.items():
        before = dict(counter)
        started = time.perf_counter()
        result = step()
        costs.seconds[name] += time.perf_counter() - started
        costs.statements[name] += counter["statements"] - before["statements"]
        costs.transactions[name] += counter["checkouts"] - before["checkouts"]
        costs.sql[name] += counter["sql"] - before["sql"]
        costs.scoping[name] += counter["scoping"] - before["scoping"]
        if name != "checks" and result.status != "done":
            raise SystemExit(f"profiling {slug}: {name} {result.status}: {result.detail}")
        if name == "act":
            costs.figures = dict(result.figures)


def _checks(app: Database, slug: str, now: datetime) -> None:
    """What the assets' checks ask per tenant (cycle_plan, cycle_act, cycle_reflect)."""
    with app.for_tenant(slug) as scope:
        assets.exception_rate(scope)
        assets.recent_blocks(scope, now)
    assets.outbox_duplicates(app, slug)
    assets.failure_rate(app, [slug], now)


def _top(profiler: cProfile.Profile, key: str, count: int, where: str = "") -> str:
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats(key).print_stats(*([where] if where else []), count)
    lines = out.getvalue().splitlines()
    start = next((i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls")), 0)
    return "\n".join(line for line in lines[start:] if line.strip())


def load_state_ms(app: Database, slug: str, now: datetime) -> float:
    """The gate's state load for one tenant (read only), as `propose` does it."""
    started = time.perf_counter()
    with app.for_tenant(slug) as scope:
        load_state(scope, now, kill_state(app, scope.tenant))
    return (time.perf_counter() - started) * 1000


def unit_costs(app: Database, slug: str, repeat: int = 200) -> dict[str, float]:
    """Microseconds: an empty tenant transaction (pool checkout with its ping, tenant row,
    settings validated, set_config, commit), and scoping one typical statement."""
    started = time.perf_counter()
    for _ in range(repeat):
        with app.for_tenant(slug):
            pass
    transaction = (time.perf_counter() - started) / repeat * 1e6
    with app.for_tenant(slug) as scope:
        tenant_id = scope.tenant_id
    stmt = (
        sa.select(outbox)
        .where(outbox.c.status == "pending")
        .where(sa.or_(outbox.c.not_before.is_(None), outbox.c.not_before <= sa.func.now()))
        .order_by(outbox.c.priority.desc(), outbox.c.id)
        .limit(200)
    )
    started = time.perf_counter()
    for _ in range(repeat):
        scope_statement(stmt, tenant_id)
    scoping = (time.perf_counter() - started) / repeat * 1e6
    return {"transaction": transaction, "scoping": scoping}
