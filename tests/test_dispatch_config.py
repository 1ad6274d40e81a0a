"""Live mail that its configuration keeps from going waits for the fix, with one alert that names
it, instead of failing: against a real SMTP server on loopback (tests/smtp_sink.py)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from agent.retry import CONFIG_RECHECK
from resources.database import Database
from resources.mailer import Mailer
from resources.mailer.message import message_id
from resources.store import schema
from resources.store.tenants import update_tenant
from services.delivery import dispatch_pass
from services.gate import propose
from tests.helpers import NOW, clients, follow_up, rows, seed_tenant
from tests.smtp_sink import SmtpSink

SENDER = "office@acme.example"


@pytest.fixture
def sink():
    with SmtpSink() as server:
        yield server


@pytest.fixture
def mailer(sink: SmtpSink, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Mailer:
    for var in ("STEWARD_KILL_SWITCH", "STEWARD_EMAIL_SEND_DISABLED", "STEWARD_SMTP_URL"):
        monkeypatch.delenv(var, raising=False)
    return Mailer(smtp_url=sink.url(), outbox_dir=str(tmp_path / "outbox"), timeout_s=10)


@pytest.fixture
def acme(db: Database) -> Database:
    seed_tenant(db, "acme", contacts=3)
    return db


def saved_live_without_sender(db: Database, slug: str = "acme") -> None:
    """What a database from before the sender rule may hold (settings are written as they were
    then, past today's validation)."""
    with db.system() as sys:
        sys.execute(
            sa.update(schema.tenants)
            .where(schema.tenants.c.slug == slug)
            .values(settings={"send_mode": "limited_live"})
        )


def config_alerts(db: Database, slug: str = "acme") -> list[dict]:
    return [a for a in rows(db, schema.alerts, slug) if a["rule"] == "config_problem"]


def test_mail_without_a_sender_waits_with_one_alert_and_goes_once_the_sender_is_set(
    acme, mailer, sink
):
    saved_live_without_sender(acme)
    propose(acme, "acme", [follow_up(n) for n in range(3)], NOW)

    line = dispatch_pass(acme, clients(mailer), "acme", now=NOW)
    assert "deferred 3" in line and "held: no sender address" in line
    assert sink.received == []
    for row in rows(acme, schema.outbox):
        assert (row["status"], row["attempts"]) == ("pending", 0)
        assert row["not_before"] is not None and "no sender address" in row["last_error"]
    (alert,) = config_alerts(acme)
    assert alert["dedupe_key"] == "config_problem:sender" and alert["status"] == "open"
    assert "steward tenant update acme --from-address" in alert["detail"]
    assert "3 message(s) are waiting" in alert["detail"]

    # Not due before the recheck; at the recheck, still unconfigured: the same alert, counted.
    soon = NOW + timedelta(minutes=1)
    assert "nothing due" in dispatch_pass(acme, clients(mailer), "acme", now=soon)
    later = NOW + CONFIG_RECHECK
    assert "deferred 3" in dispatch_pass(acme, clients(mailer), "acme", now=later)
    (alert,) = config_alerts(acme)
    assert alert["occurrences"] == 2 and {r["attempts"] for r in rows(acme, schema.outbox)} == {0}

    update_tenant(acme, "acme", settings_patch={"from_address": SENDER})
    fixed = later + CONFIG_RECHECK
    assert dispatch_pass(acme, clients(mailer), "acme", now=fixed).startswith("acme: sent 3")
    assert sorted(sink.to()) == [f"c{n}@acme.example" for n in range(3)]
    for got in sink.received:
        assert got.sender == SENDER and got.message["From"] == SENDER
        # The Message-ID reconciliation would look for is the one sent.
        assert got.message["Message-ID"] == message_id("acme", got.key, SENDER)
    assert {r["payload"]["from"] for r in rows(acme, schema.outbox)} == {SENDER}
    (alert,) = config_alerts(acme)
    assert alert["status"] == "resolved"


def test_no_smtp_server_makes_live_mail_wait_with_an_alert(acme, tmp_path, monkeypatch):
    monkeypatch.delenv("STEWARD_SMTP_URL", raising=False)
    live = {"send_mode": "limited_live", "from_address": SENDER}
    update_tenant(acme, "acme", settings_patch=live)
    propose(acme, "acme", [follow_up(1)], NOW)
    unconfigured = Mailer(outbox_dir=str(tmp_path / "outbox"))
    line = dispatch_pass(acme, clients(unconfigured), "acme", now=NOW)
    assert "deferred 1" in line and "STEWARD_SMTP_URL" in line
    (row,) = rows(acme, schema.outbox)
    assert (row["status"], row["attempts"]) == ("pending", 0)
    (alert,) = config_alerts(acme)
    assert alert["dedupe_key"] == "config_problem:smtp" and "STEWARD_SMTP_URL" in alert["detail"]
