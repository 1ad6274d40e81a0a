"""The broadcast rules (agent/broadcast.py) and a segment read from real rows: each filter picks
whom it says; a throttle slows the pace and a clean batch restores it; rates pause a campaign
only once enough mail has gone; a campaign's states allow only their own moves."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from agent.broadcast import (
    MIN_SAMPLE,
    Candidate,
    Pace,
    Segment,
    Stats,
    batch_size,
    can,
    pause_reason,
    recovered,
    region_of,
    selects,
    tags_of,
    throttled,
)
from resources.database import Database
from resources.store import schema
from resources.store.tenants import add_tenant
from services.broadcasts.audience import audience

NOW = datetime(2027, 3, 1, 15, tzinfo=UTC)


def person(**kw) -> Candidate:
    fields = {"contact_id": 1, "email": "a@x.example", "tags": frozenset({"newsletter"}),
              "account_type": "Banking", "region": "TX", "last_order": date(2027, 1, 5),
              "engagement": "overdue", "account_active": True}
    return Candidate(**{**fields, **kw})


@pytest.mark.parametrize(("segment", "candidate", "chosen"), [
    ({}, person(), True),
    ({"tags": ["Newsletter"]}, person(), True),
    ({"tags": ["newsletter", "vip"]}, person(), False),
    ({"account_types": ["banking", "Credit Union"]}, person(), True),
    ({"account_types": ["Law Firm"]}, person(), False),
    ({"regions": ["tx"]}, person(), True),
    ({"regions": ["CA"]}, person(region=None), False),
    ({"last_order_after": "2027-01-01"}, person(), True),
    ({"last_order_after": "2027-01-05"}, person(), False),
    ({"last_order_before": "2027-01-01"}, person(last_order=None), False),
    ({"engagement": ["overdue", "due_soon"]}, person(), True),
    ({"engagement": ["compliant"]}, person(), False),
    ({}, person(account_active=False), False),
    ({"include_inactive_accounts": True}, person(account_active=False), True),
])
def test_each_filter_picks_whom_it_says(segment, candidate, chosen) -> None:
    assert selects(Segment.model_validate(segment), candidate) is chosen


def test_tags_and_regions_come_from_the_profiles_and_the_address() -> None:
    assert tags_of({"tags": "Newsletter, vip"}, {"tags": ["lenders"]}) == {"newsletter", "vip",
                                                                           "lenders"}
    assert region_of({"region": "Front Range"}, "1 Main St, Austin, TX 78701") == "Front Range"
    assert region_of(None, None, "1 Main St, Austin, TX 78701-1234") == "TX"
    assert region_of({}, "no state here") is None
    with pytest.raises(ValueError, match="must be before"):
        Segment(last_order_after=date(2027, 2, 1), last_order_before=date(2027, 1, 1))


def test_a_throttle_slows_the_pace_and_a_clean_batch_restores_it() -> None:
    pace = Pace(200, None, 0)
    first = throttled(pace, NOW)
    assert (first.batch_size, first.throttled_until, first.throttles) == (
        100, NOW + timedelta(minutes=5), 1)
    third = throttled(throttled(first, NOW), NOW)
    assert (third.batch_size, third.throttled_until) == (25, NOW + timedelta(minutes=20))
    assert throttled(Pace(12, None, 9), NOW).throttled_until == NOW + timedelta(hours=1)
    assert throttled(Pace(12, None, 0), NOW).batch_size == 10  # never below MIN_BATCH
    assert throttled(Pace(4, None, 0), NOW).batch_size == 4  # nor below a smaller setting
    assert recovered(third, 200) == Pace(50, None, 0)
    assert recovered(Pace(150, None, 0), 200).batch_size == 200


def test_a_batch_leaves_half_the_email_budget_to_the_conversations() -> None:
    pace = Pace(200, None, 0)
    assert batch_size(pace, 500, 10) == 5
    assert batch_size(pace, 3, 10) == 3
    assert batch_size(pace, 500, 1) == 1
    assert batch_size(pace, 500, 0) == 0
    assert batch_size(pace, 500, 1_000_000) == 200


def stats(sent: int, bounced: int = 0, complained: int = 0) -> Stats:
    return Stats(audience=sent, pending=0, sent=sent, skipped={}, failed=0, bounced=bounced,
                 unsubscribed=0, complained=complained, replied=0)


def test_rates_pause_a_campaign_once_enough_has_gone() -> None:
    assert pause_reason(stats(MIN_SAMPLE - 1, bounced=10), 10.0, 0.1) is None
    assert pause_reason(stats(100, bounced=10), 10.0, 0.1) is None  # at the threshold: goes on
    assert pause_reason(stats(100, bounced=11), 10.0, 0.1) == (
        "bounce rate 11.0% (11 of 100) is above the tenant's 10.0%")
    assert "complaint rate 1.0%" in pause_reason(stats(100, complained=1), 10.0, 0.1)


def test_a_campaign_moves_only_as_its_state_allows() -> None:
    assert can("draft", "approve") is None and can("approved", "start") is None
    assert can("running", "pause") is None and can("paused", "resume") is None
    assert can("completed", "cancel") == "a completed campaign cannot cancel (only draft or " \
        "approved or running or paused)"
    assert can("approved", "resume").startswith("an approved campaign cannot resume")


def test_a_segment_reads_accounts_orders_and_engagement(db: Database) -> None:
    add_tenant(db, "acme")
    with db.for_tenant("acme") as scope:
        scope.insert(schema.accounts, [
            {"name": "Brook Bank", "industry": "Banking", "address": "1 Main St, Austin, TX 78701"},
            {"name": "Elm Law", "industry": "Law Firm", "address": "9 Elm St, Denver, CO 80202",
             "active": False}])
        bank, law = (scope.scalar(scope.select(schema.accounts.c.id)
                                  .where(schema.accounts.c.name == n))
                     for n in ("Brook Bank", "Elm Law"))
        scope.insert(schema.contacts, [
            {"account_id": bank, "email": "Ann@Bank.example", "first_name": "Ann",
             "created_at": NOW - timedelta(days=5), "last_touch_at": NOW - timedelta(days=2)},
            {"account_id": bank, "email": "bo@bank.example", "first_name": "Bo",
             "created_at": NOW - timedelta(days=90), "last_touch_at": NOW - timedelta(days=60)},
            {"account_id": law, "email": "cy@law.example", "first_name": "Cy",
             "profile": {"region": "Front Range"}, "created_at": NOW - timedelta(days=90)}])
        ann = scope.scalar(scope.select(schema.contacts.c.id)
                           .where(schema.contacts.c.first_name == "Ann"))
        scope.insert(schema.orders, {"order_number": "O-1", "account_id": bank,
                                     "contact_id": ann, "ordered_at": NOW - timedelta(days=3)})

        def chosen(**segment) -> list[str]:
            return [r["address"] for r in audience(scope, Segment(**segment), NOW)]

        assert chosen() == ["ann@bank.example", "bo@bank.example"]
        assert chosen(include_inactive_accounts=True, regions=["Front Range"]) == [
            "cy@law.example"]
        assert chosen(regions=["tx"]) == ["ann@bank.example", "bo@bank.example"]
        assert chosen(last_order_after=(NOW - timedelta(days=7)).date()) == [
            "ann@bank.example", "bo@bank.example"]  # the account's order counts for Bo
        assert chosen(engagement=["overdue"]) == ["bo@bank.example"]
        (ann_row,) = [r for r in audience(scope, Segment(engagement=["compliant"]), NOW)]
        assert ann_row["vars"] == {"first_name": "Ann", "full_name": "Ann", "name": "Ann",
                                   "email": "ann@bank.example", "account_name": "Brook Bank"}
