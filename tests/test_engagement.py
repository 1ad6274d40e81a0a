"""The engagement engine on small frames: clocks, statuses, priority order and statistics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from agent.engagement import account_clocks, contact_clocks, next_to_touch, stats

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def frames():
    contacts = pd.DataFrame(
        [
            # id, email, account, created, recorded last touch
            (1, "fresh@a.example", 10, ago(100), None),
            (2, "soon@a.example", 10, ago(100), None),
            (3, "late@b.example", 20, ago(100), None),
            (4, "never@b.example", 20, ago(30), None),
            (5, "new@c.example", 30, ago(2), None),
            (6, None, 30, ago(100), None),
            (7, "phoned@c.example", 30, ago(100), ago(1)),
            (8, "waiting@c.example", 30, ago(26), None),
        ],
        columns=["id", "email", "account_id", "created_at", "last_touch_at"],
    )
    touches = pd.DataFrame(
        [
            (1, "email_out", ago(3), "steward"),
            (2, "call", ago(19), "human:kenny"),
            (2, "email_in", ago(40), "contact:soon@a.example"),
            (3, "email_out", ago(31), "steward"),
            (7, "email_out", ago(50), "steward"),
            (8, "email_in", ago(5), "contact:waiting@c.example"),
            (8, "email_in", ago(9), "contact:waiting@c.example"),
        ],
        columns=["contact_id", "touch_type", "occurred_at", "by_whom"],
    )
    deals = pd.DataFrame(
        [(3, 20, "proposal", 40000), (3, 20, "won", 90000), (8, 30, "lead", 500)],
        columns=["contact_id", "account_id", "stage", "amount"],
    )
    return contacts, touches, deals


@pytest.fixture
def clocks():
    return contact_clocks(*frames(), NOW).set_index("id")


def test_each_contact_gets_its_status_from_its_last_touch(clocks):
    assert clocks.loc[1, "status"] == "compliant"
    assert clocks.loc[2, "status"] == "due_soon"  # a call 19 days ago: due in 2 days
    assert clocks.loc[2, "last_touch_type"] == "call"
    assert clocks.loc[2, "last_touch_by"] == "human:kenny"
    assert (clocks.loc[3, "status"], clocks.loc[3, "days_overdue"]) == ("overdue", 10)
    assert clocks.loc[3, "next_due_at"] == pd.Timestamp(ago(10))


def test_never_touched_contacts_run_from_when_they_were_added(clocks):
    assert (clocks.loc[4, "status"], clocks.loc[4, "days_overdue"]) == ("overdue", 9)
    assert clocks.loc[5, "status"] == "compliant" and clocks.loc[5, "never_touched"]


def test_mail_from_the_contact_does_not_reset_the_clock(clocks):
    assert clocks.loc[2, "last_inbound_at"] == pd.Timestamp(ago(40))
    assert clocks.loc[8, "never_touched"]


def test_a_touch_recorded_by_hand_counts_when_it_is_newer(clocks):
    assert clocks.loc[7, "status"] == "compliant"
    assert clocks.loc[7, "last_touch_type"] == "recorded"


def test_contacts_without_email_are_unreachable_and_score_zero(clocks):
    assert clocks.loc[6, "status"] == "unreachable"
    assert clocks.loc[6, "priority"] == 0


def test_priority_puts_deals_and_waiting_people_first(clocks):
    # 8: 5 days overdue, wrote to us 5 days ago, a small deal; 3: 10 days overdue with a 40k
    # open deal; 4: 9 days overdue, nothing else
    assert clocks.loc[3, "priority"] > clocks.loc[4, "priority"]
    assert clocks.loc[3, "open_deals"] == 1 and clocks.loc[3, "account_value"] == 40000
    picked = next_to_touch(clocks.reset_index(), limit=3)
    assert list(picked["id"]) == [8, 3, 4]
    assert clocks.loc[8, "recent_inbound"] and clocks.loc[8, "status"] == "overdue"


def test_next_to_touch_respects_limit_and_exclusions(clocks):
    picked = next_to_touch(clocks.reset_index(), limit=10, exclude={"late@b.example"})
    assert 3 not in set(picked["id"]) and set(picked["id"]) <= {2, 4, 8}
    assert next_to_touch(clocks.reset_index(), limit=0).empty


def test_statistics_and_account_clocks(clocks):
    s = stats(clocks.reset_index())
    assert (s.contacts, s.compliant, s.due_soon, s.overdue, s.unreachable) == (8, 3, 1, 3, 1)
    assert s.never_touched == 4
    assert s.compliance_rate == pytest.approx(4 / 7)
    accounts = account_clocks(clocks.reset_index())
    assert accounts.loc[20, "overdue_contacts"] == 2
    assert s.accounts_overdue == 2


def test_empty_inputs_give_empty_clocks():
    contacts, touches, deals = frames()
    empty = contact_clocks(contacts.iloc[0:0], touches.iloc[0:0], deals.iloc[0:0], NOW)
    assert empty.empty and stats(empty).compliance_rate == 1.0
    untouched = contact_clocks(contacts, touches.iloc[0:0], deals.iloc[0:0], NOW)
    assert set(untouched["status"]) == {"overdue", "compliant", "unreachable"}
