"""Dispatch against a real SMTP server on loopback: send modes, suppression, switches, provider
errors, approvals and deferrals end to end; nothing is ever received twice."""

from __future__ import annotations

import email
import email.policy
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agent.actions import Action, action_key
from resources.database import Database
from resources.mailer import Mailer
from resources.mailer.message import build_message, message_id, wire_bytes
from resources.store import schema
from resources.store.system_config import set_database_flag
from resources.store.tenants import update_tenant
from services import approvals
from services.dispatch import dispatch_tenant
from services.gate import propose
from tests.helpers import clients, customer_email, follow_up, rows, seed_tenant
from tests.mailbox.tls import make_certificate
from tests.smtp_sink import SmtpSink

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
LIVE = {"send_mode": "limited_live", "from_address": "office@acme.example"}


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory):
    return make_certificate(tmp_path_factory.mktemp("smtp-tls"))


@pytest.fixture
def sink(certificate):
    with SmtpSink(certificate=certificate, user="steward", password="s3cret") as server:
        yield server


@pytest.fixture
def mailer(sink: SmtpSink, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Mailer:
    monkeypatch.setenv("STEWARD_SMTP_PASSWORD", "s3cret")
    for var in ("STEWARD_KILL_SWITCH", "STEWARD_EMAIL_SEND_DISABLED"):
        monkeypatch.delenv(var, raising=False)
    return Mailer(
        smtp_url=sink.url(starttls="required"), outbox_dir=str(tmp_path / "outbox"), timeout_s=10
    )


@pytest.fixture
def acme(db: Database) -> Database:
    seed_tenant(db, "acme", contacts=30, touched_days_ago=5)
    return db


def live(db: Database, **extra) -> None:
    update_tenant(db, "acme", settings_patch={**LIVE, **extra})


def dispatch(db: Database, mailer: Mailer, at: datetime = NOW):
    return dispatch_tenant(db, clients(mailer), "acme", at)


def statuses(db: Database) -> dict[str, str]:
    return {r["idempotency_key"]: r["status"] for r in rows(db, schema.outbox)}


def test_dry_run_writes_the_eml_and_sends_nothing(acme, mailer, sink):
    propose(acme, "acme", [follow_up(1)], NOW)
    report = dispatch(acme, mailer)
    assert report.counts == {"dry_run": 1}
    (row,) = rows(acme, schema.outbox)
    msg = email.message_from_bytes(Path(row["eml_path"]).read_bytes())
    assert msg["To"] == "c1@acme.example" and msg["X-Steward-Key"] == row["idempotency_key"]
    assert msg["Message-ID"] == message_id("acme", row["idempotency_key"], msg["From"])
    assert sink.received == []


def test_limited_live_sends_over_starttls_with_login_once(acme, mailer, sink):
    live(acme)
    propose(acme, "acme", [follow_up(1), follow_up(2)], NOW)
    assert dispatch(acme, mailer).counts == {"sent": 2}
    assert sink.keys() == {follow_up(1).idempotency_key: 1, follow_up(2).idempotency_key: 1}
    received = sink.received[0].message
    assert received["From"] == "office@acme.example"
    assert received.is_multipart() and received.get_content_type() == "multipart/alternative"
    assert received["List-Unsubscribe"] == "<mailto:office@acme.example?subject=unsubscribe>"
    # Each row keeps the Message-ID it went out under: a bounce or complaint naming it finds it.
    sent_ids = {r["message_id"] for r in rows(acme, schema.outbox)}
    assert sent_ids == {m.message["Message-ID"].strip("<>") for m in sink.received}
    propose(acme, "acme", [follow_up(1)], NOW + timedelta(hours=1))
    assert dispatch(acme, mailer, NOW + timedelta(hours=1)).counts == {}
    assert sum(sink.keys().values()) == 2
    touches = rows(acme, schema.touches)
    assert {t["source_key"] for t in touches} >= {f"outbox:{follow_up(1).idempotency_key}"}


def test_internal_only_sends_to_the_allowlist_and_blocks_the_rest(acme, mailer, sink):
    live(acme, send_mode="internal_only", allowlist=["c1@acme.example"])
    results = propose(acme, "acme", [follow_up(1), follow_up(2)], NOW)
    assert [(r.status, r.rule) for r in results] == [
        ("queued", "allowed"),
        ("blocked", "send_mode"),
    ]
    assert dispatch(acme, mailer).counts == {"sent": 1}
    assert sink.to() == ["c1@acme.example"]


def test_a_tighter_mode_or_a_new_suppression_after_queueing_is_honoured(acme, mailer, sink):
    live(acme)
    propose(acme, "acme", [follow_up(1), follow_up(2)], NOW)
    with acme.for_tenant("acme") as scope:
        scope.insert(schema.suppressions, {"email": "c1@acme.example", "reason": "opt_out"})
    update_tenant(acme, "acme", settings_patch={"send_mode": "internal_only", "allowlist": []})
    assert dispatch(acme, mailer).counts == {"blocked": 2}
    assert sink.received == []
    rules = sorted(v["rule"] for v in rows(acme, schema.policy_violations))
    assert rules == ["send_mode", "suppressed"]


@pytest.mark.parametrize("switch", ["env", "database", "tenant", "send_disabled"])
def test_switches_stop_every_send_and_release_nothing_lost(acme, mailer, sink, switch, monkeypatch):
    live(acme)
    propose(acme, "acme", [follow_up(1)], NOW)
    if switch == "env":
        monkeypatch.setenv("STEWARD_KILL_SWITCH", "1")
    elif switch == "database":
        set_database_flag(acme, True, "incident", "test")
    elif switch == "tenant":
        from resources.store.tenants import set_enabled

        set_enabled(acme, "acme", False)
    else:
        monkeypatch.setenv("STEWARD_EMAIL_SEND_DISABLED", "true")
    report = dispatch(acme, mailer)
    assert report.held and sink.received == []
    assert statuses(acme) == {follow_up(1).idempotency_key: "pending"}
    monkeypatch.delenv("STEWARD_KILL_SWITCH", raising=False)
    monkeypatch.delenv("STEWARD_EMAIL_SEND_DISABLED", raising=False)
    set_database_flag(acme, False, None, "test")
    update_tenant(acme, "acme", settings_patch={})
    if switch == "tenant":
        from resources.store.tenants import set_enabled

        set_enabled(acme, "acme", True)
    assert dispatch(acme, mailer).counts == {"sent": 1}
    assert sum(sink.keys().values()) == 1


def test_a_kill_switch_at_the_gate_defers_and_nothing_is_queued(acme, mailer, sink, monkeypatch):
    live(acme)
    monkeypatch.setenv("STEWARD_KILL_SWITCH", "on")
    (result,) = propose(acme, "acme", [follow_up(1)], NOW)
    assert (result.status, result.rule) == ("deferred", "kill_switch")
    assert rows(acme, schema.outbox) == []
    monkeypatch.delenv("STEWARD_KILL_SWITCH")
    propose(acme, "acme", [], NOW + timedelta(minutes=1), retry_deferred=True)
    assert dispatch(acme, mailer, NOW + timedelta(minutes=1)).counts == {"sent": 1}


def test_a_temporary_refusal_is_retried_later_and_a_permanent_one_fails(acme, mailer, sink):
    live(acme)
    sink.refuse["c1@acme.example"] = "451 4.3.0 try again later"
    sink.refuse["c2@acme.example"] = "550 5.1.1 no such user"
    propose(acme, "acme", [follow_up(1), follow_up(2)], NOW)
    assert dispatch(acme, mailer).counts == {"retry": 1, "failed": 1}
    (retry,) = [r for r in rows(acme, schema.outbox) if r["target"] == "c1@acme.example"]
    assert retry["status"] == "pending" and "451" in retry["last_error"]
    assert len(rows(acme, schema.provider_failures)) == 2
    sink.refuse.clear()
    assert dispatch(acme, mailer, NOW + timedelta(seconds=30)).counts == {}
    assert dispatch(acme, mailer, NOW + timedelta(minutes=2)).counts == {"sent": 1}
    assert statuses(acme)[follow_up(2).idempotency_key] == "failed"


def test_a_quota_error_from_the_provider_raises_an_alert(acme, mailer, sink):
    live(acme)
    sink.data_reply = "451 4.7.1 rate limit exceeded, slow down"
    propose(acme, "acme", [follow_up(1)], NOW)
    assert dispatch(acme, mailer).counts == {"retry": 1}
    alerts = rows(acme, schema.alerts)
    assert "provider_quota" in {a["rule"] for a in alerts}


def test_an_unreachable_server_is_retried_not_lost(acme, tmp_path, monkeypatch):
    live(acme)
    dead = Mailer(smtp_url="smtp://127.0.0.1:1?starttls=off", outbox_dir=str(tmp_path), timeout_s=2)
    propose(acme, "acme", [follow_up(1)], NOW)
    assert dispatch(acme, dead).counts == {"retry": 1}
    assert statuses(acme) == {follow_up(1).idempotency_key: "pending"}


def test_approval_leads_to_delivery_and_rejection_to_nothing(acme, mailer, sink):
    live(acme)
    other = customer_email(2).model_copy(update={"idempotency_key": "send_email:other"})
    first, second = propose(acme, "acme", [customer_email(1), other], NOW)
    assert dispatch(acme, mailer).counts == {}
    approvals.approve(acme, "acme", first.task_id, "cli:kenny", "", NOW)
    approvals.reject(acme, "acme", second.task_id, "cli:kenny", "not now", NOW)
    assert dispatch(acme, mailer).counts == {"sent": 1}
    assert sink.to() == ["c1@acme.example"]


def test_deferred_by_the_cap_then_delivered_in_the_next_hour(acme, mailer, sink):
    live(acme, caps={"emails_per_hour": 1})
    propose(acme, "acme", [follow_up(1), follow_up(2)], NOW)
    assert dispatch(acme, mailer).counts == {"sent": 1}
    later = NOW + timedelta(hours=1)
    propose(acme, "acme", [], later, retry_deferred=True)
    assert dispatch(acme, mailer, later).counts == {"sent": 1}
    assert sorted(sink.to()) == ["c1@acme.example", "c2@acme.example"]


def test_other_kinds_are_written_as_deliverables(acme, mailer):
    seo = Action(
        kind="seo_change",
        target="acme.example/pricing",
        payload={"title": "Prices"},
        idempotency_key=action_key("seo_change", "pricing", "1"),
    )
    propose(acme, "acme", [seo], NOW)
    assert dispatch(acme, mailer).counts == {"delivered": 1}
    (row,) = rows(acme, schema.outbox)
    assert Path(row["provider_ref"]).read_text().count("Prices") == 1


def test_two_cycles_and_two_dispatchers_at_once_keep_the_cap_and_send_once(acme, mailer, sink):
    live(acme, caps={"emails_per_hour": 12})
    sink.delay_s = 0.01
    batches = [[follow_up(n) for n in range(0, 20)], [follow_up(n) for n in range(10, 30)]]
    errors: list[Exception] = []

    def guarded(fn, *args):
        def run():
            try:
                fn(*args)
            except Exception as exc:  # surfaced below: a thread's exception would vanish
                errors.append(exc)

        return threading.Thread(target=run)

    def dispatch_for_a_while():
        for _ in range(6):
            dispatch(acme, mailer)

    threads = [guarded(propose, acme, "acme", batch, NOW) for batch in batches]
    threads += [guarded(dispatch_for_a_while) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    dispatch(acme, mailer)
    assert errors == []
    assert max(sink.keys().values()) == 1
    assert len(sink.received) == 12
    assert set(statuses(acme).values()) == {"sent"}


def test_non_ascii_names_subjects_and_long_lines_survive_the_wire():
    payload = {
        "from": "Zoë Desk <desk@acme.example>",
        "to": "jane@client.example",
        "subject": "Grüße — your order",
        "text": "Hällo Jane,\n" + "x" * 1200 + "\n",
        "html": "<p>Hällo</p>",
        "unsubscribe": True,
    }
    wire = wire_bytes(build_message("acme", "k1", payload, datetime(2026, 11, 20, tzinfo=UTC)))
    lines = wire.split(b"\r\n")
    assert all(len(line) <= 998 for line in lines) and b"\n" not in wire.replace(b"\r\n", b"")
    got = email.message_from_bytes(wire, policy=email.policy.default)
    assert got["From"].addresses[0].display_name == "Zoë Desk"
    assert str(got["Subject"]) == "Grüße — your order"
    body = got.get_body(("plain",)).get_content()
    assert body.replace("\r\n", "\n") == payload["text"]
    assert got["Message-ID"] == message_id("acme", "k1", "desk@acme.example")
    assert got["Message-ID"].endswith("@acme.example>")
    assert got["List-Unsubscribe"] == "<mailto:desk@acme.example?subject=unsubscribe>"
