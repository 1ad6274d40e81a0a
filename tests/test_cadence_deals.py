"""The deals engine over a month of simulated cycles (five a day, in New York time, across the end
of DST and Thanksgiving), on both databases: stalled deals are followed up at their stage's
spacing in business days, escalate after three attempts, stop at their maximum and are marked for
a person; a reply between plan and dispatch stops the step at dispatch, and the deal that goes
quiet again starts a second round; unknown stages and deals without an address are marked, closed
and fresh deals left alone; a rerun of an hour sends nothing twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from resources.database import Database
from resources.mailer import Mailer
from resources.store import schema
from resources.store.tenants import add_tenant, update_tenant
from services.cycle.phases import Cycle, act_phase, plan_phase, react_phase
from services.cycle.reflect import reflect_phase
from tests.helpers import clients, rows

NY = ZoneInfo("America/New_York")
START = datetime(2026, 10, 28, 7, tzinfo=NY)  # a Wednesday, before DST ends on 1 November
LOCAL_HOURS = (7, 9, 13, 17, 21)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=NY)


@pytest.fixture
def acme(db: Database, tmp_path: Path, steward_env: Path) -> Database:
    add_tenant(db, "acme", timezone="America/New_York")
    # The engagement engine's own check-ins are another test's business: not due this month.
    update_tenant(db, "acme", settings_patch={
        "holidays": {"country": "US"}, "own_addresses": ["acme.example"],
        "thresholds": {"engagement_days": 90}})
    quiet = (START - timedelta(days=10)).astimezone(UTC)  # stored as UTC on both databases
    with db.for_tenant("acme") as scope:
        scope.insert(schema.contacts, [
            {"email": f"{name}@client.example", "first_name": name.title(), "last_touch_at": quiet}
            for name in ("ann", "bob", "cy", "dee", "eve")
        ] + [{"email": None, "first_name": "Nomail", "full_name": "No Mail"}])
        ids = {r["first_name"]: r["id"] for r in scope.execute(
            scope.select(schema.contacts)).mappings()}
        scope.insert(schema.deals, [
            deal("Ann proposal", "proposal", ids["Ann"], quiet),
            deal("Bob negotiation", "negotiation", ids["Bob"], quiet),
            deal("Cy pilot", "pilot", ids["Cy"], quiet),
            deal("Dee won", "won", ids["Dee"], quiet),
            deal("Eve fresh", "lead", ids["Eve"], (START - timedelta(days=1)).astimezone(UTC)),
            deal("No address", "qualified", ids["Nomail"], quiet),
        ])
    return db


def deal(title: str, stage: str, contact: int, active: datetime) -> dict:
    return {"title": title, "stage": stage, "contact_id": contact, "last_activity_at": active,
            "created_at": active - timedelta(days=30)}


def hours(until: datetime, start: datetime = START):
    day = start.date()
    while day <= until.date():
        for h in LOCAL_HOURS:
            yield datetime(day.year, day.month, day.day, h, tzinfo=NY).astimezone(UTC)
        day += timedelta(days=1)


class Cycles:
    def __init__(self, db: Database, tmp_path: Path):
        self.db, self.clients = db, clients(Mailer(outbox_dir=str(tmp_path / "outbox")))

    def at(self, hour: datetime, between=None, run: str = "r") -> None:
        c = Cycle(self.db, "acme", hour, f"{run}-{hour:%m%d%H}", hour + timedelta(minutes=5),
                  False, self.clients.alerts)
        assert plan_phase(c).status == "done"
        if between:
            between()
        act_phase(c, self.clients)
        react_phase(c)
        reflect_phase(c)


def sent(db: Database) -> list[dict]:
    return sorted((r for r in rows(db, schema.outbox) if r["status"] == "dry_run"
                   and r["idempotency_key"].startswith("deal_follow_up:")),
                  key=lambda r: r["sent_at"])


def by_title(db: Database) -> dict[str, dict]:
    return {d["title"]: d for d in rows(db, schema.deals)}


def test_a_month_of_cycles_follows_up_stalled_deals_and_stops_when_they_answer(
    acme: Database, tmp_path: Path
) -> None:
    cycles = Cycles(acme, tmp_path)
    bob = by_title(acme)["Bob negotiation"]

    def bob_replies() -> None:  # after the plan of Friday 30 October 9:00, before its dispatch
        with acme.for_tenant("acme") as scope:
            scope.insert(schema.touches, {
                "contact_id": bob["contact_id"],
                "occurred_at": local(2026, 10, 30, 9, 2).astimezone(UTC),
                "touch_type": "email_in", "by_whom": "contact:bob@client.example",
                "source_key": "msg:bob-reply"})

    for hour in hours(local(2026, 11, 30)):
        cycles.at(hour, bob_replies if hour == local(2026, 10, 30, 9).astimezone(UTC) else None)

    ann = [r for r in sent(acme) if r["target"] == "ann@client.example"]
    # Proposal: at once, then every 3 business days (Thanksgiving is not one), at most 4.
    assert [r["sent_at"].astimezone(NY).date().isoformat() for r in ann] == [
        "2026-10-28", "2026-11-02", "2026-11-05", "2026-11-10"]
    # Always the first cycle after the local opening, whatever the UTC offset that day.
    assert {r["sent_at"].astimezone(NY).hour for r in ann} == {9}
    assert [r["payload"]["template"] for r in ann] == ["deal_follow_up"] * 3 + [
        "deal_follow_up_urgent"]
    assert [r["priority"] for r in ann] == [50, 50, 50, 60]
    deals = by_title(acme)
    assert deals["Ann proposal"]["needs_attention"] == "no reply after all 4 steps done"
    assert deals["Ann proposal"]["follow_up_count"] == 4

    bob_rows = [r for r in rows(acme, schema.outbox) if r["target"] == "bob@client.example"]
    (stopped,) = [r for r in bob_rows if r["status"] == "blocked"]
    assert stopped["idempotency_key"] == f"deal_follow_up:deal:{bob['id']}:2"
    assert "stopped before sending: reply from the contact" in stopped["last_error"]
    # Quiet again for 5 days after the reply: a second round, with keys of its own.
    second = [r for r in bob_rows if f":{bob['id']}.2:" in r["idempotency_key"]]
    assert second and second[0]["sent_at"].astimezone(NY).date().isoformat() == "2026-11-04"

    assert "stage 'pilot' has no follow-up configuration" in deals["Cy pilot"]["needs_attention"]
    assert deals["No address"]["needs_attention"] == "no contact address to follow up with"
    # A lead stalls after 14 quiet days: Eve's deal, active the day before the start, on 10 Nov.
    eve = [r for r in sent(acme) if r["target"] == "eve@client.example"]
    assert eve[0]["sent_at"].astimezone(NY).date().isoformat() == "2026-11-10"
    followed = {r["target"] for r in rows(acme, schema.outbox)
                if r["idempotency_key"].startswith("deal_follow_up:")}
    assert followed == {"ann@client.example", "bob@client.example", "eve@client.example"}
    keys = [r["idempotency_key"] for r in rows(acme, schema.outbox)]
    assert len(keys) == len(set(keys))


def test_a_rerun_of_an_hour_sends_nothing_twice_and_says_why_nothing_went(
    acme: Database, tmp_path: Path
) -> None:
    cycles = Cycles(acme, tmp_path)
    first = local(2026, 10, 28, 9).astimezone(UTC)
    cycles.at(first)
    cycles.at(first, run="rerun")  # the same hour again, as a Dagster re-execution does
    assert len(sent(acme)) == 2  # Ann and Bob, once each
    cycles.at(local(2026, 10, 28, 13).astimezone(UTC))
    (ann,) = [e for e in rows(acme, schema.cadence_enrollments)
              if e["address"] == "ann@client.example"]
    assert ann["steps_planned"] == 1
    assert ann["waiting"] == "step 2 due 2026-11-02 08:00 EST"
    (run,) = [r for r in rows(acme, schema.agent_runs) if r["cycle_hour"] == first
              or r["cycle_hour"].replace(tzinfo=UTC) == first]
    assert run["metrics"]["cadence_deals_proposed"] == 2


def test_pausing_the_deal_holds_its_steps_and_resuming_sends_each_once(
    acme: Database, tmp_path: Path
) -> None:
    cycles = Cycles(acme, tmp_path)
    ann = by_title(acme)["Ann proposal"]
    cycles.at(local(2026, 10, 28, 9).astimezone(UTC))
    with acme.for_tenant("acme") as scope:
        scope.execute(schema.deals.update().where(schema.deals.c.id == ann["id"])
                      .values(auto_follow_up_enabled=False))
    for hour in hours(local(2026, 11, 6), local(2026, 10, 29)):
        cycles.at(hour, run="paused")
    assert len([r for r in sent(acme) if r["target"] == "ann@client.example"]) == 1
    with acme.for_tenant("acme") as scope:
        scope.execute(schema.deals.update().where(schema.deals.c.id == ann["id"])
                      .values(auto_follow_up_enabled=True))
    for hour in hours(local(2026, 11, 9), local(2026, 11, 7)):
        cycles.at(hour, run="resumed")
    ann_sent = [r for r in sent(acme) if r["target"] == "ann@client.example"]
    assert [r["idempotency_key"].rsplit(":", 1)[1] for r in ann_sent] == ["1", "2"]
