"""Builders shared by tests: the fixed clock, tenants with a few rows, actions, tasks, and rows.

Everything here takes its time from an explicit `now` (default `NOW`), never from the real
clock, so a test built from these passes on any date. Where product code reads the clock
itself, a test moves it with `clock_at`.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
import time_machine

from agent.actions import Action, action_key
from resources.alerts import Alerts
from resources.clients import Clients
from resources.database import Database
from resources.mailbox.resource import Mailboxes
from resources.mailer import Mailer
from resources.providers import Providers
from resources.store import schema
from resources.store.tenants import add_tenant
from tests.moved_clock.sitecustomize import OFFSET as CLOCK_OFFSET

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # a Tuesday afternoon: the send window is open


def real_now() -> datetime:
    """The machine's clock, whatever time-machine shows this process."""
    if time_machine.escape_hatch.is_travelling():
        return time_machine.escape_hatch.datetime.datetime.now(UTC)
    return datetime.now(UTC)


@contextmanager
def clock_at(at: datetime) -> Iterator[None]:
    """Move the clock to `at` (it keeps ticking) for product code that reads it, in this
    process and in the Python processes started meanwhile (Dagster run workers, `steward`)."""
    before = os.environ.get(CLOCK_OFFSET)
    os.environ[CLOCK_OFFSET] = str((at - real_now()).total_seconds())
    try:
        with time_machine.travel(at, tick=True):
            yield
    finally:
        if before is None:
            os.environ.pop(CLOCK_OFFSET, None)
        else:
            os.environ[CLOCK_OFFSET] = before


def seed_tenant(
    db: Database, slug: str, contacts: int = 3, touched_days_ago: int = 5, *, now: datetime = NOW
) -> None:
    """A tenant with one account and `contacts` contacts touched `touched_days_ago` days
    before `now`."""
    add_tenant(db, slug)
    touched = now - timedelta(days=touched_days_ago)
    with db.for_tenant(slug) as scope:
        scope.insert(schema.accounts, {"name": f"{slug} account", "credit_limit": 1000})
        scope.insert(schema.contacts, [
            {"email": f"c{i}@{slug}.example", "full_name": f"Contact {i}", "last_touch_at": touched}
            for i in range(contacts)
        ])


def rows(db: Database, table: sa.Table, slug: str = "acme") -> list[dict]:
    """The tenant's rows of `table` in id order, as dicts."""
    with db.for_tenant(slug) as scope:
        return [dict(r) for r in scope.execute(scope.select(table).order_by(table.c.id)).mappings()]


def follow_up(n: int, slug: str = "acme", step: str = "h15", **payload) -> Action:
    """The engagement follow-up to contact `n` of `seed_tenant`, keyed by its cadence step."""
    target = f"c{n}@{slug}.example"
    return Action(
        kind="follow_up",
        target=target,
        payload={"vars": {"first_name": f"Contact{n}"}, "cadence": "engagement", **payload},
        reason="21-day engagement",
        idempotency_key=action_key("follow_up", target, step),
    )


def customer_email(n: int = 0) -> Action:
    """A one-off customer email (outside a cadence: it needs approval by default)."""
    target = f"c{n}@acme.example"
    return Action(
        kind="send_email",
        target=target,
        payload={"vars": {"subject": "Your inspection", "body": "It is booked for Friday."}},
        reason="owner asked",
        idempotency_key=action_key("send_email", target, "manual-1"),
    )


def add_task(db: Database, kind: str, title: str = "Do it", **columns) -> dict:
    """A task of acme's, in progress (as the executor hands it to a handler), created at NOW."""
    key = f"test:{uuid.uuid4().hex}"
    with db.for_tenant("acme") as scope:
        scope.insert(
            schema.tasks,
            {
                "title": title,
                "kind": kind,
                "execution_type": "fully_automated",
                "status": "in_progress",
                "idempotency_key": key,
                "created_at": NOW,
                "updated_at": NOW,
                **columns,
            },
        )
        query = scope.select(schema.tasks).where(schema.tasks.c.idempotency_key == key)
        return dict(scope.execute(query).mappings().one())


def approved(**columns) -> dict:
    """The columns of a semi-automated task whose send a person approved."""
    return {
        "execution_type": "semi_automated",
        "approval_status": "approved",
        "decided_by": "owner@acme.example",
        **columns,
    }


def clients(mailer: Mailer, webhook_url: str = "") -> Clients:
    """The clients a delivering workflow gets in production, around a test's mailer."""
    alerts = Alerts(mailer=mailer, webhook_url=webhook_url)
    return Clients(
        mailer=mailer,
        alerts=alerts,
        mailboxes=Mailboxes(timeout_s=5),
        providers=Providers(webhook_timeout_s=5),
    )


def resources(db: Database, mailer: Mailer | None = None) -> dict[str, object]:
    """What Definitions registers, for `materialize`, sensors and schedules in tests."""
    mailer = mailer or Mailer()
    c = clients(mailer)
    return {
        "database": db,
        "mailer": mailer,
        "alerts": c.alerts,
        "mailboxes": c.mailboxes,
        "providers": c.providers,
        "clients": c,
    }
