"""Live mail that its configuration keeps from going waits for the fix, with one alert that names
it, instead of failing: against a real SMTP server on loopback (tests/smtp_sink.py). Migration
0008 gives the mail that failed that way before back to the outbox."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

import migrations
from agent.retry import CONFIG_RECHECK
from resources.database import Database
from resources.mailer import Mailer
from resources.mailer.message import message_id
from resources.store import schema
from resources.store.tenants import update_tenant
from services.delivery import dispatch_pass
from services.gate import propose
from tests.conftest import create_pg_database, drop_pg_database
from tests.helpers import NOW, clients, follow_up, rows, seed_tenant
from tests.smtp_sink import SmtpSink

SENDER = "office@acme.example"
OWNER = "steward_test_owner"  # owns the migration test's PostgreSQL database


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


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_0008_requeues_mail_failed_for_want_of_a_sender(backend, tmp_path, mailer, sink):
    """A database at 0007 holding mail the old dispatcher failed "no sender address": after the
    upgrade it is due again, with its attempts back; other failures and outcomes stay. On
    PostgreSQL the database belongs to a plain role, as in production, so row-level security
    binds the migration too."""
    if backend == "sqlite":
        url, admin_url = f"sqlite:///{tmp_path / 'm.db'}", None
    else:
        admin_url, url = owned_pg_database()
    db = Database(url=url)
    try:
        migrations.upgrade(db.engine, "0007")
        with db.engine.begin() as conn:
            for slug in ("acme", "beta"):
                conn.execute(
                    sa.text(
                        "INSERT INTO tenants (slug, name, settings) "
                        "VALUES (:slug, :slug, '{\"send_mode\": \"limited_live\"}')"
                    ),
                    {"slug": slug},
                )
            ids = dict(conn.execute(sa.text("SELECT slug, id FROM tenants")).all())
            old = "no sender address: set the tenant's from_address before sending live"
            for slug, outbox in (
                ("acme", [(1, "failed", old), (2, "failed", "550 5.1.1 mailbox unknown"),
                          (3, "sent", None)]),
                ("beta", [(1, "failed", old)]),
            ):
                if backend == "postgres":  # as Database.for_tenant does
                    conn.execute(sa.text("SELECT set_config('steward.tenant_id', :t, true)"),
                                 {"t": str(ids[slug])})
                conn.execute(sa.insert(schema.outbox),
                             [old_row(ids[slug], slug, *row) for row in outbox])
        migrations.upgrade(db.engine, "head")
        assert db.schema_revision() == migrations.head_revision()
        outcome = {
            (r["target"], r["status"], r["attempts"], r["not_before"])
            for slug in ("acme", "beta")
            for r in rows(db, schema.outbox, slug)
        }
        assert outcome == {
            ("c1@acme.example", "pending", 0, None),
            ("c2@acme.example", "failed", 1, None),
            ("c3@acme.example", "sent", 1, None),
            ("c1@beta.example", "pending", 0, None),
        }

        # Dispatch sends what now has a sender and makes the rest wait, with the alert.
        update_tenant(db, "acme", settings_patch={"from_address": SENDER})
        assert dispatch_pass(db, clients(mailer), "acme", now=NOW).startswith("acme: sent 1")
        assert [(r.sender, r.recipients) for r in sink.received] == [
            (SENDER, ["c1@acme.example"])
        ]
        assert "deferred 1" in dispatch_pass(db, clients(mailer), "beta", now=NOW)
        (alert,) = config_alerts(db, "beta")
        assert "steward tenant update beta --from-address" in alert["detail"]
    finally:
        db.engine.dispose()
        if admin_url:
            drop_pg_database(admin_url)


def owned_pg_database() -> tuple[str, str]:
    """A new PostgreSQL database owned by a plain role (no superuser, no BYPASSRLS): (admin
    URL, owner URL)."""
    admin_url, _ = create_pg_database("steward_mig")
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        known = sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r")
        if conn.execute(known, {"r": OWNER}).first() is None:
            conn.execute(sa.text(f'CREATE ROLE "{OWNER}" LOGIN NOSUPERUSER NOBYPASSRLS'))
        conn.execute(sa.text(f'ALTER DATABASE "{make_url(admin_url).database}" OWNER TO "{OWNER}"'))
        conn.execute(sa.text(f'ALTER SCHEMA public OWNER TO "{OWNER}"'))
    admin.dispose()
    return admin_url, make_url(admin_url).set(username=OWNER).render_as_string(hide_password=False)


def old_row(tenant_id: int, slug: str, n: int, status: str, error: str | None) -> dict:
    """An outbox row as 0007's dispatcher left it: rendered while the tenant had no sender."""
    key = f"follow_up:c{n}@{slug}.example:h15"
    return {
        "tenant_id": tenant_id,
        "idempotency_key": key,
        "kind": "follow_up",
        "target": f"c{n}@{slug}.example",
        "payload": {
            "template": "follow_up",
            "from": f"{slug}@steward.invalid",
            "to": f"c{n}@{slug}.example",
            "subject": "Checking in",
            "text": "Hello.\n",
            "html": "<p>Hello.</p>",
            "unsubscribe": True,
            "in_reply_to": None,
        },
        "reason": "21-day engagement",
        "status": status,
        "attempts": 1,
        "last_error": error,
        "sent_at": NOW if status == "sent" else None,
    }
