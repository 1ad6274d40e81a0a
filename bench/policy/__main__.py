"""Policy engine benchmark: 100,000 proposed actions decided against one PostgreSQL database.

Steward's path is what a cycle does: per tenant, read the kill switches and `load_state` once (a
handful of set-based queries, as the runtime role under row-level security), then `evaluate`
every action in memory. The baseline is the same rules written the straightforward way: per
action, ask PostgreSQL what the rule at hand needs (is the address suppressed, when did we last
touch it, is it out of office, is the request signal open, how many contacts are past their
engagement touch, how many deals are open, how full is the bucket), lazily and in rule order,
over one connection with prepared, parameterized statements, as the same role. It is slow, so it
runs on a random sample of the actions; both must reach the same outcome and rule on every
sampled action (and the same not-before time), or the run fails.
Prints decisions/s for both, the ratio (target >= 20x) and the decisions by outcome and rule.
Run from the repository root as `python -m bench.policy`; needs PostgreSQL.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import time
from collections import Counter
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from agent.actions import Action
from agent.policy import Decision
from agent.settings import TenantSettings
from bench.datagen import APP_ROLE, drop_database, scratch_database
from bench.policy.naive import Verdict, naive
from bench.policy.proposals import make_actions
from bench.policy.seed import seed
from bench.policy.steward import steward
from bench.policy.world import NOW, World
from resources.database import Database, normalize_url
from resources.database.roles import ensure_app_role


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--actions", type=int, default=100_000)
    parser.add_argument("--tenants", type=int, default=10)
    parser.add_argument("--contacts", type=int, default=2000, help="per tenant")
    parser.add_argument(
        "--naive-sample",
        type=int,
        default=5000,
        help="actions the naive baseline decides (a random sample)",
    )
    parser.add_argument("--rounds", type=int, default=2, help="best of this many")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--no-naive-indexes",
        action="store_true",
        help="leave out the lower(email) indexes the naive queries can use",
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
    try:
        run(args, admin_url, app_url)
    finally:
        drop_database(admin_root, name)


def run(args: argparse.Namespace, admin_url: str, app_url: str) -> None:
    rng = random.Random(args.seed)
    admin = Database(url=admin_url)
    admin.upgrade()
    ensure_app_role(admin.engine, APP_ROLE)
    app = Database(url=app_url)

    started = time.perf_counter()
    worlds = seed(app, args.tenants, args.contacts, rng)
    with admin.engine.begin() as conn:
        if not args.no_naive_indexes:
            for table, column in (
                ("contacts", "email"),
                ("suppressions", "email"),
                ("outbox", "target"),
            ):
                conn.execute(
                    sa.text(
                        f"CREATE INDEX bench_{table}_lower ON {table} (tenant_id, lower({column}))"
                    )
                )
        sizes = {
            t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar()
            for t in (
                "contacts",
                "touches",
                "suppressions",
                "signals",
                "deals",
                "outbox",
                "rate_limit_counters",
            )
        }
    with admin.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))
    seed_seconds = time.perf_counter() - started

    started = time.perf_counter()
    proposed = make_actions(rng, worlds, args.actions)
    gen_seconds = time.perf_counter() - started
    by_tenant: list[list[tuple[int, Action]]] = [[] for _ in worlds]
    for index, (ti, action) in enumerate(proposed):
        by_tenant[ti].append((index, action))
    sample = set(rng.sample(range(len(proposed)), min(args.naive_sample, len(proposed))))
    sampled = [[(i, a) for i, a in group if i in sample] for group in by_tenant]
    dsns = {
        "runtime role, RLS": make_url(app_url).set(drivername="postgresql").render_as_string(False),
        "superuser, no RLS": make_url(admin_url)
        .set(drivername="postgresql")
        .render_as_string(False),
    }

    ours: list[tuple[float, float]] = []
    theirs: dict[str, list[tuple[float, int]]] = {who: [] for who in dsns}
    decisions: dict[int, Decision] = {}
    verdicts: dict[int, Verdict] = {}
    for _ in range(args.rounds):  # alternate, so no side always runs on a colder system
        seconds, load, got = steward(app, worlds, by_tenant)
        if decisions and _key(got) != _key(decisions):
            raise SystemExit("steward decided differently in two rounds")
        decisions = got
        ours.append((seconds, load))
        for who, dsn in dsns.items():
            seconds, queries, found = naive(dsn, worlds, sampled)
            if verdicts and found != verdicts:
                raise SystemExit(f"the naive baseline ({who}) decided differently from before")
            verdicts = found
            theirs[who].append((seconds, queries))

    agree = [
        i
        for i in sorted(sample)
        if decisions[i].outcome == verdicts[i][0] and decisions[i].rule == verdicts[i][1]
    ]
    same_time = [i for i in agree if decisions[i].not_before == verdicts[i][2]]
    steward_s, load_s = min(ours)
    total, k = len(proposed), len(sample)
    steward_rate = total / steward_s
    inside = sum(1 for w in worlds if _inside_window(w))

    print(f"machine: {platform.node()} {os.cpu_count()} cores, {datetime.now(UTC):%Y-%m-%d}")
    print(
        f"actions: {total} over {len(worlds)} tenants x {args.contacts} contacts; now "
        f"{NOW:%Y-%m-%d %H:%M} UTC, inside the send window for {inside} tenants and outside "
        f"for {len(worlds) - inside}; best of {args.rounds} rounds"
    )
    print(
        "seeded: "
        + ", ".join(f"{v} {t}" for t, v in sizes.items())
        + f" in {seed_seconds:.1f}s; (tenant_id, lower(email)) indexes: "
        + ("no" if args.no_naive_indexes else "yes")
    )
    print(f"generate actions (in memory, untimed): {gen_seconds:6.2f}s")
    print(
        f"steward (kill switches + load_state per tenant, then evaluate), runtime role, RLS: "
        f"{steward_s:7.3f}s  {steward_rate:7.0f} decisions/s"
    )
    print(
        f"  state load {load_s:.3f}s for {len(worlds)} tenants "
        f"({load_s / len(worlds) * 1000:.1f} ms each), evaluate {steward_s - load_s:.3f}s "
        f"({(steward_s - load_s) / total * 1e6:.1f} us per action, "
        f"{total / (steward_s - load_s):.0f} decisions/s without the load)"
    )
    ratios = {}
    for who, runs in theirs.items():
        naive_s, queries = min(runs)
        ratios[who] = steward_rate / (k / naive_s)
        print(
            f"naive (queries per action, one connection, prepared), {who}, sample of {k}: "
            f"{naive_s:7.3f}s  {k / naive_s:7.0f} decisions/s"
        )
        print(
            f"  {queries} queries, {queries / k:.2f} per action, "
            f"{naive_s / k * 1000:.2f} ms per action"
        )
    like, best = ratios["runtime role, RLS"], ratios["superuser, no RLS"]
    print(
        f"ratio steward/naive: {like:.0f}x (same role; target >= 20x); {best:.0f}x against the "
        "naive baseline as superuser"
    )
    print(
        f"agreement on the sample: {len(agree)}/{k} (outcome and rule), not-before time "
        f"{len(same_time)}/{len(agree)}"
    )
    print(
        f"all rounds: steward {_list([s for s, _ in ours])}, "
        + ", ".join(f"naive {who} {_list([s for s, _ in r])}" for who, r in theirs.items())
    )
    counts = Counter((d.outcome, d.rule) for d in decisions.values())
    print(f"decisions by outcome and rule (all {total}):")
    for outcome in ("allow", "approval", "defer", "block"):
        rules = {r: n for (o, r), n in counts.items() if o == outcome}
        print(
            f"  {outcome:<9}{sum(rules.values()):7d}  "
            + ", ".join(f"{r} {n}" for r, n in sorted(rules.items(), key=lambda x: -x[1]))
        )

    if len(agree) != k or len(same_time) != len(agree):
        differ = Counter(
            ((decisions[i].outcome, decisions[i].rule), verdicts[i][:2])
            for i in sorted(sample)
            if i not in set(same_time)
        )
        print("DISAGREEMENTS (steward -> naive: count):")
        for (ours_, theirs_), n in differ.most_common():
            print(f"  {ours_} -> {theirs_}: {n}")
        for i in [i for i in sorted(sample) if i not in set(same_time)][:10]:
            ti, action = proposed[i]
            print(
                f"  #{i} {worlds[ti].slug} {action.kind} {action.target!r} "
                f"{action.payload} steward={decisions[i]} naive={verdicts[i]}"
            )
        raise SystemExit("steward and the naive baseline disagree; see above")


def _key(decisions: dict[int, Decision]) -> dict[int, tuple]:
    return {i: (d.outcome, d.rule, d.not_before) for i, d in decisions.items()}


def _inside_window(world: World) -> bool:
    window = TenantSettings.model_validate(world.profile.settings).send_window
    local = NOW.astimezone(ZoneInfo(world.profile.timezone))
    return (window.weekends or local.weekday() < 5) and (
        window.start_hour <= local.hour < window.end_hour
    )


def _list(values: list[float]) -> str:
    return "/".join(f"{v:.3f}s" for v in values)


if __name__ == "__main__":
    main()
