"""Demo deals and quotes, at the ages the sales rules look at.

Deals go quiet for more than 14 days (some already flagged with `stalled_at`, some not yet), and
quotes sit at every step of Draft → Sent → Viewed → Accepted/Rejected/Expired with follow-ups
three days apart, some overdue, some exhausted at the maximum of four, one overdue quote without
an expiry date; a decided quote carries its win/loss reason and code.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal

from pipelines.demo.randomness import days_ago, money, spread
from pipelines.demo.spec import Row

STAGES = {"lead": 5, "qualified": 5, "proposal": 6, "negotiation": 4, "won": 5, "lost": 5}
PROBABILITY = {"lead": 0.1, "qualified": 0.25, "proposal": 0.5, "negotiation": 0.7, "won": 1.0,
               "lost": 0.0}
PROGRAMS = ("Purchase volume program", "Refinance overflow", "Portfolio desk reviews",
            "New construction finals", "Relocation appraisals", "Estate valuations",
            "HELOC exterior program", "Pre-listing inspections")
QUOTE_STATUSES = {"sent": 5, "viewed": 4, "draft": 3, "accepted": 3, "rejected": 3, "expired": 2}
# Why a decided quote was won or lost: the words, and the code of the tenant's list
# (agent/settings.py QUOTE_REASONS) they come under.
REASONS = {
    "accepted": (("Turnaround time", "timing"), ("Price matched budget", "price"),
                 ("Referral from loan officer", "other")),
    "rejected": (("Price too high", "price"), ("Went with their AMC panel", "competitor"),
                 ("Turnaround too slow", "timing")),
    "expired": (("No response after follow-ups", "no_response"),),
}
# How far a sent or viewed quote's follow-ups have got: (share, age range in days of the quote).
CHASES = {"on_schedule": (2, (1, 11.9)), "overdue": (2, (4, 11.9)), "exhausted": (1, (13, 30))}
STALLED_DAYS = 14
FOLLOW_UP_DAYS = 3
MAX_FOLLOW_UPS = 4


def _contact_of(rng: random.Random, contacts: list[Row], account: Row) -> Row | None:
    people = [c for c in contacts if c["account_name"] == account["name"] and c["email"]]
    return rng.choice(people) if people else None


def build_deals(rng: random.Random, count: int, accounts: list[Row], contacts: list[Row],
                now: datetime) -> list[Row]:
    """Open deals are split between active (touched in the last 13 days) and stalled (15-60 days
    quiet); half of the stalled ones already carry `stalled_at`, the rest are for the agent to
    find."""
    rows: list[Row] = []
    titles: set[str] = set()
    stages = spread(rng, count, STAGES)
    open_count = sum(1 for stage in stages if stage not in ("won", "lost"))
    open_states = iter(spread(rng, open_count,
                              {"active": 5, "stalled_flagged": 2, "stalled_unflagged": 2}))
    for stage in stages:
        account = rng.choice([a for a in accounts if a["active"]] or accounts)
        contact = _contact_of(rng, contacts, account)
        title = f"{rng.choice(PROGRAMS)} — {account['name']}"
        if title in titles:
            title = f"{title} ({len(titles) + 1})"
        titles.add(title)
        closed = stage in ("won", "lost")
        state = "closed" if closed else next(open_states)
        quiet = {"closed": (5, 90), "active": (0.2, 13), "stalled_flagged": (15, 60),
                 "stalled_unflagged": (15, 60)}[state]
        last_activity = days_ago(rng, now, *quiet)
        follow_ups = 0 if closed else rng.randint(0, 5)
        expected = last_activity if closed else now + timedelta(days=rng.randint(7, 90))
        rows.append({
            "account_name": account["name"],
            "contact_email": contact["email"] if contact else None,
            "title": title,
            "stage": stage,
            "amount": money(rng.randrange(20, 600) * 100),
            "probability": PROBABILITY[stage],
            "expected_close": expected.date(),
            "last_activity_at": last_activity,
            "stalled_at": (last_activity + timedelta(days=STALLED_DAYS)
                           if state == "stalled_flagged" else None),
            "next_follow_up_at": (None if closed else
                                  last_activity + timedelta(days=rng.randint(3, 7))),
            "follow_up_count": follow_ups,
            "auto_follow_up_enabled": rng.random() < 0.9,
        })
    return rows


def build_quotes(rng: random.Random, count: int, accounts: list[Row], contacts: list[Row],
                 deals: list[Row], now: datetime) -> list[Row]:
    """Quotes sent 1-30 days ago; some tied to deals in proposal or negotiation."""
    open_deals = [d for d in deals if d["stage"] in ("proposal", "negotiation")]
    statuses = spread(rng, count, QUOTE_STATUSES)
    waiting = sum(1 for status in statuses if status in ("sent", "viewed"))
    chases = iter(spread(rng, waiting, {k: share for k, (share, _) in CHASES.items()}))
    rows: list[Row] = []
    undated = False  # one overdue quote was sent without an expiry date: the engine flags it
    for n, status in enumerate(statuses):
        deal = rng.choice(open_deals) if open_deals and rng.random() < 0.5 else None
        if deal:
            account = next(a for a in accounts if a["name"] == deal["account_name"])
        else:
            account = rng.choice([a for a in accounts if a["active"]] or accounts)
        contact = _contact_of(rng, contacts, account)
        chase = next(chases) if status in ("sent", "viewed") else None
        row = _quote(rng, 2001 + n, status, chase, account, contact, deal, now)
        if chase == "overdue" and not undated:
            row["valid_until"], undated = None, True
        rows.append(row)
    return rows


def _quote(rng: random.Random, number: int, status: str, chase: str | None, account: Row,
           contact: Row | None, deal: Row | None, now: datetime) -> Row:
    sent_at = viewed_at = decided_at = next_follow_up = None
    follow_ups = 0
    valid_until = (now + timedelta(days=30)).date()
    if status != "draft":
        age = CHASES[chase][1] if chase else (20, 30) if status == "expired" else (1, 30)
        sent_at = days_ago(rng, now, *age)
        valid_until = (sent_at + timedelta(days=14 if status == "expired" else 30)).date()
        if status in ("viewed", "accepted", "rejected"):
            viewed_at = sent_at + timedelta(minutes=rng.randint(60, 36 * 60))
        if chase:
            # Follow-ups fall every 3 days: on schedule, one behind (overdue now), or all 4 done.
            slots = (now - sent_at) // timedelta(days=FOLLOW_UP_DAYS)
            follow_ups = {"on_schedule": slots, "overdue": slots - 1,
                          "exhausted": MAX_FOLLOW_UPS}[chase]
            if follow_ups < MAX_FOLLOW_UPS:
                next_follow_up = sent_at + timedelta(days=FOLLOW_UP_DAYS * (follow_ups + 1))
        else:
            follow_ups = rng.randint(0, MAX_FOLLOW_UPS)
            decided_at = min(now, (viewed_at or sent_at) + timedelta(days=rng.uniform(1, 14)))
            if status == "expired":
                decided_at = datetime.combine(valid_until, datetime.min.time(), now.tzinfo)
    reason = rng.choice(REASONS[status]) if status in REASONS else (None, None)
    return {
        "quote_number": f"Q-{number}",
        "account_name": account["name"],
        "contact_email": contact["email"] if contact else None,
        "deal_title": deal["title"] if deal else None,
        "status": status,
        "amount": deal["amount"] if deal else money(Decimal(rng.randrange(3, 120) * 125)),
        "sent_at": sent_at,
        "viewed_at": viewed_at,
        "decided_at": decided_at.replace(second=0, microsecond=0) if decided_at else None,
        "valid_until": valid_until,
        "follow_up_count": follow_ups,
        "next_follow_up_at": next_follow_up,
        "outcome_reason": reason[0],
        "reason_code": reason[1],
    }
