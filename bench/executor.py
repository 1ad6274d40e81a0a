"""Task executor benchmark: 10,000 queued tasks, 10% failing once, run by the executor.

The tasks are content drafts (the real `content` handler renders each and writes it to a file)
spread over 10 tenants in a scratch PostgreSQL database, as the runtime role under row-level
security. One task in ten fails its first attempt (its handler raises before doing the work)
and succeeds on the retry 1 s later.

Steward's path is the executor's pass (`run_pass`, what the `executor` job's op calls), run in
passes of `--batch` tasks per tenant until nothing is left, the backoff waits left out of the
time. The baseline calls the same handler directly in a loop over the same task rows, retrying a
failure at once. Prints tasks/s for both, the executor's overhead per task and the ratio
(target: executor time <= 2x the direct loop), and checks every task completed once.
Run from the repository root as `python -m bench.executor`; needs PostgreSQL.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from datetime import UTC, datetime

import sqlalchemy as sa

from bench.datagen import APP_ROLE, drop_database, scratch_database
from resources.alerts import Alerts
from resources.clients import Clients
from resources.database import Database, normalize_url
from resources.database.roles import ensure_app_role
from resources.mailbox.resource import Mailboxes
from resources.mailer import Mailer
from resources.providers import Providers
from resources.store.schema import task_events, tasks
from resources.store.tenants import add_tenant
from services.tasks.executor import run_pass
from services.tasks.handlers import HandlerError, Outcome, TaskRun, handle


class FailsOnce:
    """The real handler, except that every tenth task fails its first attempt."""

    def __call__(self, run: TaskRun) -> Outcome:
        if run.task["id"] % 10 == 0 and run.task["attempts"] == 1:
            raise HandlerError("provider unavailable (first attempt)")
        return handle(run)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--tenants", type=int, default=10)
    parser.add_argument("--batch", type=int, default=500, help="tasks per tenant per pass")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds, best of")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get(
            "STEWARD_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    args = parser.parse_args()
    root = normalize_url(args.pg_url)
    name, admin_url, app_url = scratch_database(root)
    try:
        with tempfile.TemporaryDirectory(prefix="steward-bench-executor-") as tmp:
            os.environ["STEWARD_HOME"] = tmp
            run(args, admin_url, app_url, tmp)
    finally:
        drop_database(root, name)


def run(args: argparse.Namespace, admin_url: str, app_url: str, tmp: str) -> None:
    admin = Database(url=admin_url)
    admin.upgrade()
    ensure_app_role(admin.engine, APP_ROLE)
    app = Database(url=app_url)
    mailer = Mailer(outbox_dir=f"{tmp}/outbox")
    slugs = [f"exec-{n:02d}" for n in range(args.tenants)]
    now = datetime.now(UTC)
    for slug in slugs:
        add_tenant(app, slug)
        with app.for_tenant(slug) as scope:
            scope.insert(tasks, [_task(n, now) for n in range(args.tasks // args.tenants)])
    handler = FailsOnce()
    directs, runs = [], []
    for _ in range(args.rounds):  # alternated: the disk's pace drifts between minutes
        directs.append(_direct(app, mailer, slugs, handler))
        _reset(admin)
        runs.append(_executor(app, mailer, slugs, handler, args.batch))
        counts = _outcome(app, slugs)
        if counts["status"] != {"completed": args.tasks}:
            raise SystemExit(f"not every task completed: {counts['status']}")
        _reset(admin)
    direct = min(directs)
    executor, passes, waited = min(runs)
    n = args.tasks
    print(f"machine: {platform.node()} {os.cpu_count()} cores, {datetime.now(UTC):%Y-%m-%d}")
    print(
        f"data: {n:,} queued content tasks over {args.tenants} tenants, every tenth failing "
        f"its first attempt; PostgreSQL, runtime role under row-level security"
    )
    print(
        f"direct loop (the handler called in a loop, a failure retried at once, best of "
        f"{args.rounds}): "
        f"{direct:7.2f}s = {n / direct:8.0f} tasks/s"
    )
    print(
        f"executor, best of {args.rounds} ({passes} passes of <= {args.batch} tasks per tenant, "
        f"backoff waits of {waited:.1f}s left out): {executor:7.2f}s = {n / executor:8.0f} tasks/s"
    )
    overhead_ms = (executor - direct) / n * 1000
    ratio = executor / direct
    print(
        f"scheduling overhead per task: {overhead_ms:.2f} ms; executor / direct = {ratio:.2f}x "
        f"(target <= 2x: {'met' if ratio <= 2 else 'MISSED'})"
    )
    print(
        f"outcome of the last round: tasks by status {counts['status']}; events {counts['events']}"
    )


def _reset(admin: Database) -> None:
    """The tasks queued again for the next round (as the owner: TRUNCATE bypasses the log's
    append-only trigger, which refuses row deletes)."""
    with admin.engine.begin() as conn:
        conn.execute(sa.text("TRUNCATE task_events"))
        conn.execute(
            sa.update(tasks).values(
                status="queued",
                attempts=0,
                next_attempt_at=None,
                deliverable=None,
                last_error=None,
                started_at=None,
                finished_at=None,
                duration_ms=None,
            )
        )


def _task(n: int, now: datetime) -> dict:
    return {
        "title": f"Draft the note to client {n}",
        "description": "A short note thanking the client for the order and naming the next step.",
        "kind": "content",
        "execution_type": "fully_automated",
        "status": "queued",
        "approach": "immediate",
        "context": {"text": f"Thank you for order {n}. We will call to book the inspection."},
        "created_at": now,
        "updated_at": now,
    }


def _direct(app: Database, mailer: Mailer, slugs: list[str], handler: FailsOnce) -> float:
    rows = {}
    for slug in slugs:
        with app.for_tenant(slug) as scope:
            rows[slug] = (
                scope.tenant,
                [dict(r) for r in scope.execute(scope.select(tasks)).mappings()],
            )
    started = time.perf_counter()
    for tenant, batch in rows.values():
        for row in batch:
            row = {**row, "attempts": 1}
            try:
                handler(TaskRun(app, mailer, tenant, row, datetime.now(UTC), _no_snapshot))
            except HandlerError:
                row["attempts"] = 2
                handler(TaskRun(app, mailer, tenant, row, datetime.now(UTC), _no_snapshot))
    return time.perf_counter() - started


def _no_snapshot(entity_type: str, entity_id: str, data: dict) -> None:
    raise AssertionError("content drafts change no existing record")


def _executor(
    app: Database, mailer: Mailer, slugs: list[str], handler: FailsOnce, batch: int
) -> tuple[float, int, float]:
    spent = waited = 0.0
    passes = 0
    clients = Clients(
        mailer=mailer, alerts=Alerts(mailer=mailer), mailboxes=Mailboxes(), providers=Providers()
    )
    while True:
        started = time.perf_counter()
        report = run_pass(app, clients, tenants=slugs, limit=batch, handler=handler)
        spent += time.perf_counter() - started
        passes += 1
        if report.failures:
            raise SystemExit(f"executor failed: {report.failures}")
        ran = sum(c.get("completed", 0) + c.get("retrying", 0) for c in report.counts.values())
        if ran:
            continue
        if not _waiting(app, slugs):
            return spent, passes, waited
        time.sleep(1.0)
        waited += 1.0


def _waiting(app: Database, slugs: list[str]) -> bool:
    for slug in slugs:
        with app.for_tenant(slug) as scope:
            left = scope.scalar(
                scope.select(sa.func.count()).select_from(tasks).where(tasks.c.status == "queued")
            )
        if left:
            return True
    return False


def _outcome(app: Database, slugs: list[str]) -> dict:
    status: dict[str, int] = {}
    events: dict[str, int] = {}
    for slug in slugs:
        with app.for_tenant(slug) as scope:
            for s, c in scope.execute(
                scope.select(tasks.c.status, sa.func.count()).group_by(tasks.c.status)
            ):
                status[s] = status.get(s, 0) + c
            for e, c in scope.execute(
                scope.select(task_events.c.event, sa.func.count()).group_by(task_events.c.event)
            ):
                events[e] = events.get(e, 0) + c
    return {"status": status, "events": events}


if __name__ == "__main__":
    main()
