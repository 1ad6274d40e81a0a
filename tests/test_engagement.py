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
    """Contacts with the latest touch each way as the database keeps them (migration 0019):
    last_touch_at is the latest touch of any kind, or one recorded by hand."""
    contacts = pd.DataFrame(
        [
            # id, email, account, created, last touch, ours (when, type, by), their last mail
            (1, "fresh@a.example", 10, ago(100), ago(3), ago(3), "email_out", "steward", None),
            (2, "soon@a.example", 10, ago(100), ago(19), ago(19), "call", "human:kenny",
             ago(40)),
            (3, "late@b.example", 20, ago(100), ago(31), ago(31), "email_out", "steward", None),
            (4, "never@b.example", 20, ago(30), None, None, None, None, None),
            (5, "new@c.example", 30, ago(2), None, None, None, None, None),
            (6, None, 30, ago(100), None, None, None, None, None),
            (7, "phoned@c.example", 30, ago(100), ago(1), ago(50), "email_out", "steward", None),
            (8, "waiting@c.example", 30, ago(26), ago(5), None, None, None, ago(5)),
            (9, "wrote@d.example", None, ago(100), ago(2), ago(30), "email_out", "steward",
             ago(2)),
        ],
        columns=["id", "email", "account_id", "created_at", "last_touch_at", "last_outbound_at",
                 "last_outbound_type", "last_outbound_by", "last_inbound_at"],
    )
    deals = pd.DataFrame(
        [(3, 20, "proposal", 40000), (3, 20, "won", 90000), (8, 30, "lead", 500)],
        columns=["contact_id", "account_id", "stage", "amount"],
    )
    return contacts, deals


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
    # their mail two days ago moved last_touch_at, but our last touch was 30 days ago
    assert (clocks.loc[9, "status"], clocks.loc[9, "days_overdue"]) == ("overdue", 9)
    assert clocks.loc[9, "last_touch_at"] == pd.Timestamp(ago(30))
    assert clocks.loc[9, "recent_inbound"]


def test_a_touch_recorded_by_hand_counts_when_it_is_newer(clocks):
    assert clocks.loc[7, "status"] == "compliant"
    assert clocks.loc[7, "last_touch_type"] == "recorded"
    assert clocks.loc[7, "last_touch_at"] == pd.Timestamp(ago(1))


def test_contacts_without_email_are_unreachable_and_score_zero(clocks):
    assert clocks.loc[6, "status"] == "unreachable"
    assert clocks.loc[6, "priority"] == 0


def test_priority_puts_deals_and_waiting_people_first(clocks):
    # 8: 5 days overdue, wrote to us 5 days ago, a small deal; 3: 10 days overdue with a 40k
    # open deal; 4: 9 days overdue, nothing else
    assert clocks.loc[3, "priority"] > clocks.loc[4, "priority"]
    assert clocks.loc[3, "open_deals"] == 1 and clocks.loc[3, "account_value"] == 40000
    # 9: 9 days overdue and wrote to us two days ago, no account
    picked = next_to_touch(clocks.reset_index(), limit=4)
    assert list(picked["id"]) == [8, 3, 9, 4]
    assert clocks.loc[8, "recent_inbound"] and clocks.loc[8, "status"] == "overdue"


def test_next_to_touch_respects_limit_and_exclusions(clocks):
    picked = next_to_touch(clocks.reset_index(), limit=10, exclude={"late@b.example"})
    assert 3 not in set(picked["id"]) and set(picked["id"]) <= {2, 4, 8, 9}
    assert next_to_touch(clocks.reset_index(), limit=0).empty


def test_statistics_and_account_clocks(clocks):
    s = stats(clocks.reset_index())
    assert (s.contacts, s.compliant, s.due_soon, s.overdue, s.unreachable) == (9, 3, 1, 4, 1)
    assert s.never_touched == 4
    assert s.compliance_rate == pytest.approx(4 / 8)
    accounts = account_clocks(clocks.reset_index())
    assert accounts.loc[20, "overdue_contacts"] == 2
    assert s.accounts_overdue == 2


def test_empty_inputs_give_empty_clocks():
    contacts, deals = frames()
    empty = contact_clocks(contacts.iloc[0:0], deals.iloc[0:0], NOW)
    assert empty.empty and stats(empty).compliance_rate == 1.0
    touch_columns = ["last_touch_at", "last_outbound_at", "last_outbound_type",
                     "last_outbound_by", "last_inbound_at"]
    untouched = contact_clocks(contacts.assign(**dict.fromkeys(touch_columns)), deals.iloc[0:0],
                               NOW)
    assert set(untouched["status"]) == {"overdue", "compliant", "unreachable"}
