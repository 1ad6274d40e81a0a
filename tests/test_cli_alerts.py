"""`steward alert list|ack|resolve` on both databases: alerts raised through the `Alerts`
resource as the rules raise them, notifications counted at a real local webhook. An acknowledged
alert keeps counting and never notifies; a resolved one is followed by a new alert that does;
a refusal is one error line."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agent.settings import TenantSettings
from resources.alerts import Alerts
from resources.database import Database
from resources.mailer import Mailer
from resources.store import alerts as store
from resources.store import schema
from resources.store.tenants import add_tenant
from tests.cli import steward
from tests.helpers import NOW, clock_at, rows
from tests.webhook_sink import WebhookSink

HOUR = timedelta(hours=1)


@pytest.fixture(autouse=True)
def clock():
    """`ack` and `resolve` stamp the clock's time: keep it at NOW on any day."""
    with clock_at(NOW):
        yield


@pytest.fixture
def env(db: Database, steward_env: Path) -> dict[str, str]:
    return {
        **os.environ,
        "STEWARD_DATABASE_URL": db.resolved_url(),
        "STEWARD_ACTOR": "ops@acme.example",
    }


@pytest.fixture
def hook() -> Iterator[WebhookSink]:
    with WebhookSink() as sink:
        yield sink


@pytest.fixture
def alerts(hook: WebhookSink, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Alerts:
    monkeypatch.delenv("STEWARD_SMTP_URL", raising=False)
    return Alerts(mailer=Mailer(outbox_dir=str(tmp_path / "outbox")), webhook_url=hook.url)


def tenants(db: Database) -> None:
    for slug in ("acme", "beta"):
        add_tenant(db, slug, settings=TenantSettings(thresholds={"alert_throttle_minutes": 60}))


def disk_full(db: Database, alerts: Alerts, now: datetime, slug: str = "acme") -> None:
    with db.for_tenant(slug) as scope:
        alerts.raise_(scope, "disk", "disk:full", "disk almost full", f"{now:%H:%M} 97%", now)


def alert_rows(db: Database, slug: str = "acme") -> list[dict]:
    return rows(db, schema.alerts, slug)


def table(text: str) -> list[list[str]]:
    return [line.split("\t") for line in text.strip().splitlines()]


def aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def soon_after_now(value: datetime) -> bool:
    """Stamped by the command from the (ticking) clock moved to NOW."""
    return NOW <= aware(value) < NOW + timedelta(minutes=1)


def test_ack_stops_notifications_and_resolve_opens_a_new_alert(
    db: Database, env: dict[str, str], alerts: Alerts, hook: WebhookSink
) -> None:
    tenants(db)
    disk_full(db, alerts, NOW - 2 * HOUR)
    disk_full(db, alerts, NOW - HOUR)  # past the throttle window: notified again
    disk_full(db, alerts, NOW - 2 * HOUR, slug="beta")
    (row,) = alert_rows(db)
    assert (row["occurrences"], row["notifications"], len(hook.received)) == (2, 2, 3)
    alert_id = str(row["id"])

    listed = table(steward(env, "alert", "list").stdout)
    assert listed[0] == [
        "id",
        "tenant",
        "rule",
        "severity",
        "status",
        "occurrences",
        "first_seen",
        "last_seen",
        "by",
        "title",
    ]
    assert [r[1:6] + r[8:] for r in listed[1:]] == [
        ["acme", "disk", "warning", "open", "2", "-", "disk almost full"],
        ["beta", "disk", "warning", "open", "1", "-", "disk almost full"],
    ]
    assert listed[1][6:8] == [f"{NOW - 2 * HOUR:%Y-%m-%dT%H:%MZ}", f"{NOW - HOUR:%Y-%m-%dT%H:%MZ}"]

    acked = steward(env, "alert", "ack", alert_id, "--by", "pat").stdout
    assert acked.startswith(f"alert {alert_id} acknowledged by pat at {NOW:%Y-%m-%dT%H:%MZ}")
    again = steward(env, "alert", "ack", alert_id).stdout
    assert f"alert {alert_id} already acknowledged by pat" in again

    disk_full(db, alerts, NOW + 3 * HOUR)  # well past the window, and nobody hears of it
    (row,) = alert_rows(db)
    assert (row["status"], row["occurrences"], row["notifications"]) == ("acknowledged", 3, 2)
    assert len(hook.received) == 3
    assert aware(row["last_seen_at"]) == NOW + 3 * HOUR and row["detail"] == "18:00 97%"
    assert row["acknowledged_by"] == "pat" and soon_after_now(row["acknowledged_at"])
    only_acme = table(steward(env, "alert", "list", "--tenant", "acme").stdout)
    assert [r[4:6] + [r[8]] for r in only_acme[1:]] == [["acknowledged", "3", "pat"]]

    resolved = steward(env, "alert", "resolve", alert_id).stdout
    assert resolved.startswith(f"alert {alert_id} resolved by ops@acme.example at ")
    disk_full(db, alerts, NOW + 4 * HOUR)
    old, new = alert_rows(db)
    assert (old["status"], old["resolved_by"]) == ("resolved", "ops@acme.example")
    assert soon_after_now(old["resolved_at"])
    assert (new["status"], new["occurrences"], new["notifications"]) == ("open", 1, 1)
    assert len(hook.received) == 4

    active = table(steward(env, "alert", "list", "--tenant", "acme").stdout)
    assert [r[0] for r in active[1:]] == [str(new["id"])]
    every = table(steward(env, "alert", "list", "--tenant", "acme", "--all-statuses").stdout)
    assert [(r[0], r[4], r[8]) for r in every[1:]] == [
        (str(new["id"]), "open", "-"),
        (alert_id, "resolved", "ops@acme.example"),
    ]
    closed = table(steward(env, "alert", "list", "--status", "resolved").stdout)
    assert [r[0] for r in closed[1:]] == [alert_id]


def test_a_rule_resolves_an_acknowledged_alert_and_a_claim_read_before_the_ack_loses(
    db: Database, env: dict[str, str], alerts: Alerts, hook: WebhookSink
) -> None:
    tenants(db)
    disk_full(db, alerts, NOW)
    (row,) = alert_rows(db)
    steward(env, "alert", "ack", str(row["id"]))
    with db.for_tenant("acme") as scope:
        # a raise that read the row while it was still open and claims after the ack
        assert store._claim(scope, row["id"], row["notifications"], NOW + 2 * HOUR) is False
        store.resolve_alert(scope, "disk:full", NOW + 2 * HOUR)
    (row,) = alert_rows(db)
    assert (row["status"], row["notifications"], row["resolved_by"]) == ("resolved", 1, None)
    assert aware(row["resolved_at"]) == NOW + 2 * HOUR
    refused = steward(env, "alert", "resolve", str(row["id"]), ok=False).stderr
    assert f"alert {row['id']} is already resolved at " in refused
    assert "by its rule, once the condition cleared" in refused


def test_unknown_or_resolved_alerts_are_one_error_line(
    db: Database, env: dict[str, str], alerts: Alerts
) -> None:
    tenants(db)
    disk_full(db, alerts, NOW)
    (row,) = alert_rows(db)
    alert_id = str(row["id"])

    assert "no alert 999" in steward(env, "alert", "ack", "999", ok=False).stderr
    assert "no alert 999" in steward(env, "alert", "resolve", "999", ok=False).stderr
    other = steward(env, "alert", "ack", alert_id, "--tenant", "beta", ok=False).stderr
    assert f"no alert {alert_id} for tenant beta" in other
    unknown = steward(env, "alert", "list", "--tenant", "nope", ok=False).stderr
    assert "unknown tenant 'nope'" in unknown
    bad = steward(env, "alert", "list", "--status", "closed", ok=False).stderr
    assert "unknown status 'closed'" in bad

    steward(env, "alert", "resolve", alert_id, "--by", "pat")
    refused = steward(env, "alert", "ack", alert_id, ok=False)
    assert refused.returncode == 1
    assert f"alert {alert_id} is already resolved at {NOW:%Y-%m-%d %H:%M} UTC by pat" in (
        refused.stderr
    )
    twice = steward(env, "alert", "resolve", alert_id, ok=False).stderr
    assert "already resolved" in twice
    (row,) = alert_rows(db)
    assert (row["status"], row["resolved_by"], row["acknowledged_by"]) == ("resolved", "pat", None)
