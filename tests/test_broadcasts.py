"""Broadcasts through hourly cycles against a real SMTP sink, on both databases: a campaign goes
out in batches within the caps, the send window and business days, to each recipient once,
with the one-click unsubscribe headers; a pause holds its queued mail and a resume sends the
rest once; a suppression added mid-campaign is honoured; a throttling provider slows it down
and it picks up again; a dispatcher killed (SIGKILL) mid-batch leaves nothing sent twice or
lost; what cannot work is refused at creation with one line."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from resources.database import Database, engine_for
from resources.mailer import Mailer
from resources.store import schema
from resources.store.broadcasts import BroadcastError
from resources.store.tenants import add_tenant, update_tenant
from services.broadcasts import campaigns as bc
from services.cycle.phases import Cycle, act_phase, plan_phase, react_phase
from services.cycle.reflect import reflect_phase
from services.dispatch import dispatch_tenant
from tests.helpers import clients, rows
from tests.smtp_sink import SmtpSink

NY = ZoneInfo("America/New_York")
MONDAY = datetime(2027, 3, 1, 9, tzinfo=NY)  # a business day in New York
TAGGED = 24  # contacts tagged `newsletter`: c0, c2, ... c46; odd ones are not


def at(day: datetime, hour: int, minute: int = 0) -> datetime:
    return day.replace(hour=hour, minute=minute).astimezone(UTC)


@pytest.fixture
def shop(db: Database, steward_env: Path, tmp_path: Path) -> Database:
    add_tenant(db, "acme", timezone="America/New_York")
    maildir = tmp_path / "mailbox"
    for sub in ("tmp", "new", "cur"):
        (maildir / sub).mkdir(parents=True)
    update_tenant(db, "acme", settings_patch={
        "send_mode": "limited_live", "from_address": "news@acme.example",
        "own_addresses": ["acme.example"], "holidays": {"country": "US"},
        "mailbox": f"maildir://{maildir}",
        "thresholds": {"engagement_days": 90},
        "caps": {"emails_per_hour": 100, "emails_per_day": 1000, "broadcast_batches_per_day": 20},
        "broadcasts": {"batch_size": 5, "unsubscribe_url": "https://acme.example/unsubscribe"}})
    known = MONDAY.astimezone(UTC) - timedelta(days=1)
    with db.for_tenant("acme") as scope:
        scope.insert(schema.accounts, {"name": "Brook Bank", "industry": "Banking"})
        bank = scope.scalar(scope.select(schema.accounts.c.id))
        scope.insert(schema.contacts, [
            {"account_id": bank, "email": f"c{i}@client.example", "first_name": f"Cy{i}",
             "profile": {"tags": ["newsletter"] if i % 2 == 0 else ["vip"]},
             "created_at": known, "last_touch_at": known} for i in range(2 * TAGGED)])
        scope.insert(schema.contacts, {"account_id": bank, "first_name": "Nomail",
                                       "profile": {"tags": ["newsletter"]}})
        scope.insert(schema.suppressions, {"email": "c2@client.example", "reason": "unsubscribe"})
    return db


class Cycles:
    def __init__(self, db: Database, mailer: Mailer):
        self.db, self.clients = db, clients(mailer)

    def at(self, hour: datetime, run: str = "r") -> None:
        c = Cycle(self.db, "acme", hour, f"{run}-{hour:%m%d%H}", hour + timedelta(minutes=5),
                  False, self.clients.alerts)
        assert plan_phase(c).status == "done"
        act_phase(c, self.clients)
        react_phase(c)
        reflect_phase(c)


def campaign(db: Database, now: datetime, **kw) -> str:
    with db.for_tenant("acme") as scope:
        bc.create_campaign(scope, "spring", {"tags": ["newsletter"]}, {
            "subject": "Spring rates for {{ company or account_name }}",
            "text": "Hello {{ name }},\n\nOur spring turnaround times are in."}, "cli:kim", now,
            **kw)
        bc.approve(scope, "spring", "kim", now)
    return "spring"


def start(db: Database, now: datetime) -> None:
    with db.for_tenant("acme") as scope:
        bc.start(scope, "spring", "kim", now)


def mailed(sink: SmtpSink) -> Counter:
    return Counter(r.recipients[0] for r in sink.received
                   if (r.key or "").startswith("broadcast:"))


def expected() -> set[str]:
    return {f"c{i}@client.example" for i in range(0, 2 * TAGGED, 2)} - {"c2@client.example"}


def recipients(db: Database) -> dict[str, dict]:
    return {r["address"] or "-": r for r in rows(db, schema.broadcast_recipients)}


def progress(db: Database, now: datetime) -> bc.Progress:
    with db.for_tenant("acme") as scope:
        return bc.progress(scope, "spring", now)


def test_a_campaign_goes_out_in_batches_to_each_recipient_once(shop: Database) -> None:
    with SmtpSink() as sink:
        cycles = Cycles(shop, Mailer(smtp_url=sink.url(), timeout_s=5))
        campaign(shop, at(MONDAY, 6))
        start(shop, at(MONDAY, 6))
        cycles.at(at(MONDAY, 7))  # before the send window opens
        assert not mailed(sink)
        for hour in range(8, 14):
            cycles.at(at(MONDAY, hour))
            assert sum(mailed(sink).values()) <= 5 * (hour - 7), "a batch went over its size"
        cycles.at(at(MONDAY, 12), run="rerun")  # a rerun of an hour sends nothing again
        got = mailed(sink)

    assert set(got) == expected() and max(got.values()) == 1
    skipped = {a: r["reason"] for a, r in recipients(shop).items() if r["status"] == "skipped"}
    assert skipped["c2@client.example"].startswith("suppressed: ")
    assert skipped["-"].startswith("no address: ")
    message = next(r.message for r in sink.received if r.recipients == ["c0@client.example"])
    assert message["Subject"] == "Spring rates for Brook Bank"
    assert " ".join(message["List-Unsubscribe"].split()).startswith(
        "<mailto:news@acme.example?subject=unsubscribe>, <https://acme.example/unsubscribe?t=")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Precedence"] == "bulk"
    assert "Hello Cy0," in message.get_payload(0).get_payload()
    state = progress(shop, at(MONDAY, 14))
    assert state.campaign["status"] == "completed"
    assert (state.stats.sent, state.stats.pending, state.stats.skipped) == (
        TAGGED - 1, 0, {"suppressed": 1, "no address": 1})
    assert "sent 23 / remaining 0 of 25" in state.line()


def test_paused_halfway_and_resumed_each_recipient_gets_it_once(
        shop: Database, monkeypatch) -> None:
    with SmtpSink() as sink:
        cycles = Cycles(shop, Mailer(smtp_url=sink.url(), timeout_s=5))
        campaign(shop, at(MONDAY, 8))
        start(shop, at(MONDAY, 8))
        cycles.at(at(MONDAY, 9))
        assert sum(mailed(sink).values()) == 5
        monkeypatch.setenv("STEWARD_EMAIL_SEND_DISABLED", "1")  # batch 2 queued, not sent
        cycles.at(at(MONDAY, 10))
        monkeypatch.delenv("STEWARD_EMAIL_SEND_DISABLED")
        with shop.for_tenant("acme") as scope:
            held = bc.pause(scope, "spring", "kim", "checking the prices", at(MONDAY, 10, 30))
            late = sorted(expected() - set(mailed(sink)))[-1]  # still pending: suppressed now
            scope.insert(schema.suppressions, {"email": late, "reason": "unsubscribe"})
        assert held == 5
        for hour in (11, 12):
            cycles.at(at(MONDAY, hour))
        assert sum(mailed(sink).values()) == 5, "a paused campaign sent mail"
        with shop.for_tenant("acme") as scope:
            assert bc.resume(scope, "spring", "kim", at(MONDAY, 12, 30)) == 5
        for hour in range(13, 18):
            cycles.at(at(MONDAY, hour))
        got = mailed(sink)

    assert set(got) == expected() - {late} and max(got.values()) == 1
    assert recipients(shop)[late]["status"] == "skipped"
    assert recipients(shop)[late]["reason"].startswith("suppressed: ")
    assert progress(shop, at(MONDAY, 18)).campaign["status"] == "completed"


def test_a_throttling_provider_slows_the_campaign_and_it_picks_up(shop: Database) -> None:
    with SmtpSink() as sink:
        mailer = Mailer(smtp_url=sink.url(), timeout_s=5)
        cycles = Cycles(shop, mailer)
        campaign(shop, at(MONDAY, 8), batch_size=20)
        start(shop, at(MONDAY, 8))
        sink.data_reply = "451 4.7.1 Too many messages from your IP, slow down"
        cycles.at(at(MONDAY, 9))
        sink.data_reply = None
        assert not mailed(sink)
        row = rows(shop, schema.broadcasts)[0]
        assert (row["pace_size"], row["throttles"]) == (10, 1)
        assert "slowed until" in row["note"]
        queued = [r for r in rows(shop, schema.outbox) if r["kind"] == "broadcast_email"]
        assert {r["status"] for r in queued} == {"pending"}
        assert {r["attempts"] for r in queued} == {0}, "a throttle counted as a failed attempt"
        early = dispatch_tenant(shop, cycles.clients, "acme", at(MONDAY, 9, 8))
        assert not mailed(sink) and early.counts["sent"] == 0
        dispatch_tenant(shop, cycles.clients, "acme", at(MONDAY, 9, 16))
        assert sum(mailed(sink).values()) == 20
        cycles.at(at(MONDAY, 10))  # the next batch at the slower pace
        assert sum(mailed(sink).values()) == 20 + 3  # the 3 left of 23
        got = mailed(sink)

    assert set(got) == expected() and max(got.values()) == 1
    assert not [r for r in rows(shop, schema.outbox) if r["status"] == "failed"]


def _dispatch_then_exit(url: str, mailer: Mailer, now: datetime) -> None:
    engine_for(url).dispose(close=False)  # the parent's pooled connections are not ours
    dispatch_tenant(Database(url=url), clients(mailer), "acme", now, limit=100)
    os._exit(0)


@pytest.mark.parametrize("connections", [1, 2])
def test_a_dispatcher_killed_mid_batch_sends_nothing_twice(shop: Database, tmp_path: Path,
                                                           monkeypatch, connections: int) -> None:
    """The kill lands while the server holds its reply to one message: with two connections,
    once the other one has sent all the rest (so that message is the only one in flight)."""
    with SmtpSink(sent_maildir=tmp_path / "mailbox") as sink:
        mailer = Mailer(smtp_url=sink.url(), timeout_s=5, connections=connections)
        cycles = Cycles(shop, mailer)
        campaign(shop, at(MONDAY, 8), batch_size=30)
        start(shop, at(MONDAY, 8))
        monkeypatch.setenv("STEWARD_EMAIL_SEND_DISABLED", "1")  # the batch is queued, unsent
        cycles.at(at(MONDAY, 9))
        monkeypatch.delenv("STEWARD_EMAIL_SEND_DISABLED")
        sink.hold_data_after(8)  # the 8th message is received; its reply never comes
        child = multiprocessing.get_context("fork").Process(
            target=_dispatch_then_exit, args=(shop.resolved_url(), mailer, at(MONDAY, 9, 10)))
        child.start()
        assert sink.wait_data_held(60), "the dispatcher never reached the 8th message"
        in_flight = 8 if connections == 1 else TAGGED - 1
        deadline = time.monotonic() + 60
        while sum(mailed(sink).values()) < in_flight and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(child.pid, signal.SIGKILL)
        child.join()
        sink.release_data()
        assert child.exitcode == -signal.SIGKILL
        assert sum(mailed(sink).values()) == in_flight
        dispatch_tenant(shop, cycles.clients, "acme", at(MONDAY, 9, 20))  # after the lease
        got = mailed(sink)

    assert set(got) == expected() and max(got.values()) == 1
    states = Counter(r["status"] for r in rows(shop, schema.outbox)
                     if r["kind"] == "broadcast_email")
    assert states == {"sent": TAGGED - 1}
    assert "found in the Sent folder" in next(
        r["provider_ref"] for r in rows(shop, schema.outbox) if "reconciled" in
        (r["provider_ref"] or ""))


@pytest.mark.parametrize(("segment", "template", "error"), [
    ({"tags": ["nobody"]}, {"subject": "Hi", "text": "Hello"},
     "the segment selects nobody with an address"),
    ({"colour": "red"}, {"subject": "Hi", "text": "Hello"}, "invalid segment: colour: "),
    ({"engagement": ["asleep"]}, {"subject": "Hi", "text": "Hello"}, "invalid segment: "),
    ({}, {"subject": "Hi {{ nickname }}", "text": "Hello"},
     "invalid template: the subject template uses {{ nickname }}"),
    ({}, {"subject": "Hi", "text": "Hello {{ name "}, "invalid template: the text template is "
     "broken"),
    ({}, {"subject": "", "text": "Hello"}, "invalid template: subject: "),
])
def test_what_cannot_work_is_refused_at_creation(shop: Database, segment, template,
                                                 error) -> None:
    with shop.for_tenant("acme") as scope, pytest.raises(BroadcastError) as refused:
        bc.create_campaign(scope, "bad", segment, template, "cli:kim", at(MONDAY, 8))
    assert str(refused.value).startswith(error)
    assert "\n" not in str(refused.value)
    assert rows(shop, schema.broadcasts) == []


def test_only_a_person_approves_and_only_an_approved_campaign_starts(shop: Database) -> None:
    now = at(MONDAY, 8)
    with shop.for_tenant("acme") as scope:
        bc.create_campaign(scope, "spring", {}, {"subject": "Hi", "text": "Hello"}, "kim", now)
        with pytest.raises(BroadcastError, match="a draft campaign cannot start"):
            bc.start(scope, "spring", "kim", now)
        with pytest.raises(BroadcastError, match="approved by a person"):
            bc.approve(scope, "spring", "steward", now)
        bc.approve(scope, "spring", "kim", now)
        with pytest.raises(BroadcastError, match="an approved campaign cannot resume"):
            bc.resume(scope, "spring", "kim", now)


def test_a_batch_planned_in_an_hour_whose_act_never_ran_is_proposed_again(
        shop: Database) -> None:
    with SmtpSink() as sink:
        cycles = Cycles(shop, Mailer(smtp_url=sink.url(), timeout_s=5))
        campaign(shop, at(MONDAY, 8))
        start(shop, at(MONDAY, 8))
        hour = at(MONDAY, 9)
        planned = Cycle(shop, "acme", hour, "crashed", hour + timedelta(minutes=5), False,
                        cycles.clients.alerts)
        assert plan_phase(planned).status == "done"  # the run died before its act
        assert rows(shop, schema.broadcasts)[0]["batches"] == 1
        cycles.at(at(MONDAY, 10))
        got = mailed(sink)

    keys = sorted(a["idempotency_key"] for a in rows(shop, schema.actions)
                  if a["kind"] == "broadcast_batch")
    assert keys == ["broadcast_batch:1:1"]
    assert sum(got.values()) == 5 and max(got.values()) == 1
