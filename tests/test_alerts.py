"""Alerts on both backends: dedupe, throttling, every channel against real local servers, and the
built-in rules just below and at their thresholds."""

from __future__ import annotations

import email
import email.policy
import logging
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from agent.alerts import POLICY_BLOCK_THRESHOLD, PROVIDER_FAILURE_THRESHOLD, SEND_VOLUME_MIN_SENDS
from agent.settings import TenantSettings
from resources.alerts import Alerts
from resources.database import Database
from resources.mailer import Mailer
from resources.store import schema
from resources.store.alerts import resolve_alert
from resources.store.tenants import add_tenant
from services.alerts import (
    check_policy_block_spike,
    check_send_volume,
    kill_switch_alert,
    record_provider_failure,
)
from services.delivery import dispatch_pass
from tests.helpers import clients
from tests.webhook_sink import WebhookSink

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)
SLUG = "acme"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Collector:
    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.envelopes.append(envelope)
        return "250 OK"


@pytest.fixture(autouse=True)
def quiet_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No operator webhook, SMTP or send switch from the outside; default files stay in tmp."""
    for var in ("STEWARD_ALERT_WEBHOOK_URL", "STEWARD_SMTP_URL", "STEWARD_EMAIL_SEND_DISABLED"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("STEWARD_HOME", str(tmp_path / "home"))


@pytest.fixture
def hook() -> Iterator[WebhookSink]:
    with WebhookSink() as sink:
        yield sink


@pytest.fixture
def smtp() -> Iterator[tuple[Collector, int]]:
    collector, port = Collector(), free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    yield collector, port
    controller.stop()


@pytest.fixture
def mailer(tmp_path: Path) -> Mailer:
    """Points at a closed port: a test that expects no SMTP would see a failure if it tried."""
    return Mailer(
        smtp_url=f"smtp://127.0.0.1:{free_port()}?starttls=off",
        outbox_dir=str(tmp_path / "outbox"),
        timeout_s=5,
    )


def tenant(db: Database, **settings: Any) -> None:
    add_tenant(db, SLUG, name="Acme Appraisals", settings=TenantSettings(**settings))


def alert_rows(db: Database) -> list[dict[str, Any]]:
    with db.for_tenant(SLUG) as scope:
        rows = scope.execute(scope.select(schema.alerts).order_by(schema.alerts.c.id)).mappings()
        return [dict(r) for r in rows]


def raise_one(
    db: Database,
    now: datetime,
    alerts: Alerts | None = None,
    mailer: Mailer | None = None,
    key: str = "disk:full",
) -> bool:
    with db.for_tenant(SLUG) as scope:
        return (alerts or Alerts(mailer=mailer or Mailer())).raise_(
            scope, "disk", key, "disk almost full", "97% used", now, "error"
        )


def aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def test_one_open_alert_per_key_counts_occurrences(db: Database, mailer: Mailer) -> None:
    tenant(db)
    assert raise_one(db, NOW, mailer=mailer) is True
    assert raise_one(db, NOW + timedelta(minutes=5), mailer=mailer) is False
    assert raise_one(db, NOW, mailer=mailer, key="disk:other") is True
    first, other = alert_rows(db)
    assert (first["dedupe_key"], first["occurrences"], first["status"]) == ("disk:full", 2, "open")
    assert aware(first["last_seen_at"]) == NOW + timedelta(minutes=5)
    assert other["occurrences"] == 1

    with db.for_tenant(SLUG) as scope:
        resolve_alert(scope, "disk:full", NOW)
    assert raise_one(db, NOW + timedelta(minutes=10), mailer=mailer) is True
    assert [(r["dedupe_key"], r["status"]) for r in alert_rows(db)] == [
        ("disk:full", "resolved"),
        ("disk:other", "open"),
        ("disk:full", "open"),
    ]


def test_the_same_alert_notifies_once_per_throttle_window(
    db: Database, mailer: Mailer, hook: WebhookSink
) -> None:
    tenant(db, thresholds={"alert_throttle_minutes": 60})
    alerts = Alerts(mailer=mailer, webhook_url=hook.url)
    raise_one(db, NOW, alerts, mailer)
    raise_one(db, NOW + timedelta(minutes=59), alerts, mailer)
    (row,) = alert_rows(db)
    assert (len(hook.received), row["notifications"], row["occurrences"]) == (1, 1, 2)
    assert aware(row["last_notified_at"]) == NOW

    raise_one(db, NOW + timedelta(minutes=60), alerts, mailer)
    (row,) = alert_rows(db)
    assert (len(hook.received), row["notifications"], row["occurrences"]) == (2, 2, 3)
    assert aware(row["last_notified_at"]) == NOW + timedelta(minutes=60)
    assert row["channels"] == {"log": "ok", "email": "skipped: no alert_email set", "webhook": "ok"}
    assert hook.received[1][1]["attachments"][0]["fields"][3]["value"] == "3"


def test_log_channel_and_webhook_carry_the_alert(
    db: Database, mailer: Mailer, hook: WebhookSink, caplog: pytest.LogCaptureFixture
) -> None:
    tenant(db, alert_webhook=hook.url)
    with caplog.at_level(logging.WARNING, logger="steward.alerts"):
        raise_one(db, NOW, Alerts(mailer=mailer, webhook_url="http://127.0.0.1:9/not-this-one"))
    (record,) = [r for r in caplog.records if r.name == "steward.alerts"]
    assert record.levelno == logging.ERROR
    assert "disk almost full" in record.getMessage() and "acme" in record.getMessage()

    ((headers, body),) = hook.received  # the tenant's own webhook wins over the operator's
    assert headers["Content-Type"] == "application/json"
    assert body["text"] == "[Steward error] disk almost full (Acme Appraisals)"
    (attachment,) = body["attachments"]
    assert (attachment["title"], attachment["text"], attachment["color"]) == (
        "disk almost full",
        "97% used",
        "danger",
    )
    fields = {f["title"]: f["value"] for f in attachment["fields"]}
    assert fields == {
        "Tenant": "Acme Appraisals",
        "Rule": "disk",
        "Severity": "error",
        "Occurrences": "1",
    }
    assert attachment["ts"] == int(NOW.timestamp())


def test_without_a_configured_webhook_the_operator_webhook_comes_from_the_environment(
    db: Database, mailer: Mailer, hook: WebhookSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant(db)
    monkeypatch.setenv("STEWARD_ALERT_WEBHOOK_URL", hook.url)
    with db.for_tenant(SLUG) as scope:
        new = Alerts(mailer=mailer).raise_(
            scope, "mailbox_errors", "mailbox_errors:x", "mailbox failing", "login refused", NOW
        )
    assert new is True
    assert hook.received[0][1]["text"].startswith("[Steward warning] mailbox failing")
    assert alert_rows(db)[0]["channels"]["webhook"] == "ok"


def test_webhook_failures_are_recorded_not_raised(
    db: Database, mailer: Mailer, hook: WebhookSink
) -> None:
    tenant(db)
    hook.status = 500
    raise_one(db, NOW, Alerts(mailer=mailer, webhook_url=hook.url), key="a")
    unreachable = f"http://127.0.0.1:{free_port()}/"
    raise_one(db, NOW, Alerts(mailer=mailer, webhook_url=unreachable), key="b")
    served_500, unreachable = alert_rows(db)
    assert len(hook.received) == 1
    assert served_500["channels"]["webhook"] == "failed: 500"
    assert unreachable["channels"]["webhook"].startswith("failed: ")
    assert "refused" in unreachable["channels"]["webhook"].lower()
    assert served_500["channels"]["log"] == unreachable["channels"]["log"] == "ok"
    assert served_500["notifications"] == unreachable["notifications"] == 1


def test_dry_run_email_is_written_as_eml_naming_the_alert(
    db: Database, mailer: Mailer, tmp_path: Path
) -> None:
    tenant(db, send_mode="dry_run", alert_email="ops@acme.example")
    raise_one(db, NOW, mailer=mailer)
    (row,) = alert_rows(db)
    (eml,) = (tmp_path / "outbox" / SLUG).glob("*.eml")
    assert row["channels"]["email"] == f"dry_run: {eml}"
    msg = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert msg["Subject"] == "[Steward error] disk almost full"
    assert msg["To"] == "ops@acme.example"
    body = msg.get_body(("plain",)).get_content()
    assert "97% used" in body and "seen 1 time(s)" in body
    assert msg.get_body(("html",)) is not None


def test_live_email_reaches_the_alert_address_over_smtp(
    db: Database, smtp: tuple[Collector, int], tmp_path: Path
) -> None:
    collector, port = smtp
    tenant(
        db,
        send_mode="limited_live",
        alert_email="ops@acme.example",
        from_address="steward@acme.example",
    )
    mailer = Mailer(
        smtp_url=f"smtp://127.0.0.1:{port}?starttls=off",
        outbox_dir=str(tmp_path / "outbox"),
        timeout_s=5,
    )
    raise_one(db, NOW, mailer=mailer)
    (envelope,) = collector.envelopes
    assert (envelope.mail_from, envelope.rcpt_tos) == ("steward@acme.example", ["ops@acme.example"])
    msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert msg["Subject"] == "[Steward error] disk almost full"
    assert alert_rows(db)[0]["channels"]["email"] == "sent"
    assert not (tmp_path / "outbox").exists()


def test_send_disabled_stops_alert_smtp_and_says_so(
    db: Database, smtp: tuple[Collector, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    collector, port = smtp
    monkeypatch.setenv("STEWARD_EMAIL_SEND_DISABLED", "1")
    tenant(
        db,
        send_mode="limited_live",
        alert_email="ops@acme.example",
        from_address="steward@acme.example",
    )
    raise_one(db, NOW, mailer=Mailer(smtp_url=f"smtp://127.0.0.1:{port}?starttls=off"))
    assert collector.envelopes == []
    assert alert_rows(db)[0]["channels"]["email"].startswith("skipped: sending disabled")


def failures(db: Database, times: list[datetime], quota: bool = False) -> int:
    count = 0
    for at in times:
        with db.for_tenant(SLUG) as scope:
            count = record_provider_failure(
                scope, Alerts(mailer=Mailer()), "smtp", "451 try later", at, code=451, quota=quota
            )
    return count


def rules_raised(db: Database) -> list[tuple[str, str, str]]:
    return [(r["rule"], r["severity"], r["status"]) for r in alert_rows(db)]


def test_provider_failures_alert_at_five_within_fifteen_minutes(db: Database) -> None:
    tenant(db)
    assert PROVIDER_FAILURE_THRESHOLD == 5
    old = NOW - timedelta(minutes=15)  # outside the window: the window is (now-15m, now]
    recent = [NOW - timedelta(minutes=m) for m in (14, 10, 5)]
    assert failures(db, [old, *recent, NOW]) == 4
    assert rules_raised(db) == []
    assert failures(db, [NOW]) == 5
    assert rules_raised(db) == [("provider_failures", "error", "open")]
    assert "5 provider failures in the last 15 minutes" in alert_rows(db)[0]["detail"]
    with db.for_tenant(SLUG) as scope:
        kinds = scope.execute(scope.select(schema.provider_failures.c.kind)).scalars().all()
    assert kinds == ["failure"] * 6


def test_a_quota_error_alerts_at_once(db: Database) -> None:
    tenant(db)
    assert failures(db, [NOW], quota=True) == 1
    (row,) = alert_rows(db)
    assert (row["rule"], row["severity"], row["dedupe_key"]) == (
        "provider_quota",
        "error",
        "provider_quota:smtp",
    )
    assert row["detail"] == "smtp 451: 451 try later"


def outbox_rows(start: int, count: int, sent_at: datetime, status: str = "sent") -> list[dict]:
    return [
        {
            "idempotency_key": f"k{start + i}",
            "kind": "send_email",
            "status": status,
            "sent_at": sent_at,
        }
        for i in range(count)
    ]


def send_volume(db: Database, now: datetime = NOW):
    with db.for_tenant(SLUG) as scope:
        return check_send_volume(scope, Alerts(mailer=Mailer()), now)


def test_send_volume_alerts_at_twice_the_trailing_normal(db: Database) -> None:
    tenant(db)
    with db.for_tenant(SLUG) as scope:  # 6 per hour over the 7 days before the last hour
        scope.insert(schema.outbox, outbox_rows(0, 6 * 168, NOW - timedelta(days=3)))
        scope.insert(schema.outbox, outbox_rows(5000, 11, NOW - timedelta(minutes=30)))
        scope.insert(schema.outbox, outbox_rows(6000, 5, NOW - timedelta(minutes=30), "failed"))
        scope.insert(schema.outbox, outbox_rows(7000, 50, NOW - timedelta(days=8)))
    below = send_volume(db)
    assert (below.last_hour, below.normal, below.alerted) == (11, 6.0, False)
    assert below.ratio == pytest.approx(11 / 6)
    assert rules_raised(db) == []

    with db.for_tenant(SLUG) as scope:
        scope.insert(schema.outbox, outbox_rows(8000, 1, NOW))
    at = send_volume(db)
    assert (at.last_hour, at.ratio, at.alerted) == (12, 2.0, True)
    assert rules_raised(db) == [("send_volume", "warning", "open")]
    assert "12 messages sent in the last hour" in alert_rows(db)[0]["detail"]

    later = send_volume(db, NOW + timedelta(hours=2))  # the spike has passed
    assert later.alerted is False
    assert rules_raised(db) == [("send_volume", "warning", "resolved")]


def test_send_volume_from_nothing_needs_ten_sends(db: Database) -> None:
    tenant(db)
    assert SEND_VOLUME_MIN_SENDS == 10
    with db.for_tenant(SLUG) as scope:
        scope.insert(schema.outbox, outbox_rows(0, 9, NOW - timedelta(minutes=59)))
    below = send_volume(db)
    assert (below.last_hour, below.normal, below.ratio, below.alerted) == (9, 0.0, None, False)
    with db.for_tenant(SLUG) as scope:
        scope.insert(schema.outbox, outbox_rows(100, 1, NOW - timedelta(minutes=1)))
    at = send_volume(db)
    assert (at.last_hour, at.ratio, at.alerted) == (10, None, True)
    assert "none in the previous 7 days" in alert_rows(db)[0]["detail"]


def violations(count: int, at: datetime, blocked: bool = True) -> list[dict]:
    return [
        {
            "action_kind": "send_email",
            "rule": "suppressed",
            "reason": "opted out",
            "blocked": blocked,
            "created_at": at,
        }
        for _ in range(count)
    ]


def test_policy_block_spike_alerts_at_ten_blocks_in_an_hour(db: Database) -> None:
    tenant(db)
    assert POLICY_BLOCK_THRESHOLD == 10
    with db.for_tenant(SLUG) as scope:
        scope.insert(schema.policy_violations, violations(9, NOW - timedelta(minutes=30)))
        scope.insert(schema.policy_violations, violations(5, NOW - timedelta(minutes=20), False))
        scope.insert(schema.policy_violations, violations(5, NOW - timedelta(hours=1)))
        assert check_policy_block_spike(scope, Alerts(mailer=Mailer()), NOW) == 9
    assert rules_raised(db) == []
    with db.for_tenant(SLUG) as scope:
        scope.insert(schema.policy_violations, violations(1, NOW))
        assert check_policy_block_spike(scope, Alerts(mailer=Mailer()), NOW) == 10
    assert rules_raised(db) == [("policy_block_spike", "warning", "open")]



def test_every_dispatch_pass_notices_a_block_spike_from_any_source(
    db: Database, mailer: Mailer
) -> None:
    """Blocks come from the cycle, the CLI, approvals and task handlers alike: the pass that runs
    every minute looks at the window whoever proposed them, and resolves it once it clears."""
    tenant(db)
    with db.for_tenant(SLUG) as scope:
        scope.insert(schema.policy_violations, violations(10, NOW - timedelta(minutes=5)))
    dispatch_pass(db, clients(mailer), SLUG, now=NOW)
    assert rules_raised(db) == [("policy_block_spike", "warning", "open")]
    dispatch_pass(db, clients(mailer), SLUG, now=NOW + timedelta(hours=2))
    assert rules_raised(db) == [("policy_block_spike", "warning", "resolved")]

def test_kill_switch_alert_is_critical_and_never_throttled(
    db: Database, mailer: Mailer, hook: WebhookSink
) -> None:
    tenant(db, thresholds={"alert_throttle_minutes": 60})
    alerts = Alerts(mailer=mailer, webhook_url=hook.url)
    for minutes, reason in ((0, "maintenance"), (5, "runaway sends")):
        with db.for_tenant(SLUG) as scope:
            kill_switch_alert(
                scope,
                alerts,
                NOW + timedelta(minutes=minutes),
                f"global (database) kill switch on: {reason}",
            )
    (row,) = alert_rows(db)
    assert (row["rule"], row["severity"], row["occurrences"], row["notifications"]) == (
        "kill_switch",
        "critical",
        2,
        2,
    )
    assert [body["text"] for _, body in hook.received] == [
        "[Steward critical] kill switch on: Steward has stopped acting (Acme Appraisals)"
    ] * 2
    assert hook.received[1][1]["attachments"][0]["text"].endswith("runaway sends")
