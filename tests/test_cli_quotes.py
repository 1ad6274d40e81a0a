"""`steward quote create|send|view|accept|reject|expire|list|show` on both databases: a quote's
whole life from the command line, each change logged with the person who made it; illegal moves,
unknown reasons, missing or past expiry dates and unknown quotes give one error line naming the
fix; `show` tells where the quote's follow-ups stand after an hour of the engine; one tenant
never sees another's quotes."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest

from resources.database import Database
from resources.store import schema
from resources.store.tenants import add_tenant
from services.cadence.quotes import quotes_engine
from tests.cli import steward
from tests.helpers import NOW, clock_at, rows


@pytest.fixture(autouse=True)
def clock():
    """The commands stamp their changes with the clock; the send checks the date against it."""
    with clock_at(NOW):
        yield


@pytest.fixture
def env(db: Database, steward_env: Path) -> dict[str, str]:
    for slug in ("acme", "other"):
        add_tenant(db, slug)
        with db.for_tenant(slug) as scope:
            scope.insert(schema.contacts, [{"email": "amy@good.example", "first_name": "Amy"},
                                           {"email": "bo@good.example", "first_name": "Bo"}])
    return {**os.environ, "STEWARD_DATABASE_URL": db.resolved_url(), "STEWARD_ACTOR": "pat"}


def table(text: str) -> dict[str, dict[str, str]]:
    header, *lines = [line.split("\t") for line in text.strip().splitlines()]
    return {line[1]: dict(zip(header, line, strict=True)) for line in lines}


def test_a_quote_is_created_sent_viewed_and_rejected_with_its_reason(
    db: Database, env: dict[str, str]
) -> None:
    made = steward(env, "quote", "create", "--tenant", "acme", "--contact", "Amy@good.example",
                   "--amount", "1250", "--valid-until", "2026-12-31")
    assert made.stdout.strip() == ("quote Q-1001 (id 1) created as draft for amy@good.example: "
                                   "1250.00, valid until 2026-12-31")
    steward(env, "quote", "create", "--tenant", "acme", "--contact", "bo@good.example",
            "--amount", "400")
    assert steward(env, "quote", "send", "Q-1001", "--tenant", "acme").stdout.strip() == (
        "quote Q-1001: draft -> sent, valid until 2026-12-31")
    assert steward(env, "quote", "view", "1", "--tenant", "acme").stdout.strip() == (
        "quote Q-1001: sent -> viewed")
    unknown = steward(env, "quote", "reject", "Q-1001", "--tenant", "acme", "--reason", "vibes",
                      ok=False)
    assert "unknown reason 'vibes': use one of price, timing, competitor" in unknown.stderr
    steward(env, "quote", "reject", "q-1001", "--tenant", "acme", "--reason", "price",
            "--note", "over their budget")

    listed = table(steward(env, "quote", "list", "--tenant", "acme").stdout)
    assert listed["Q-1001"]["status"] == "rejected" and listed["Q-1001"]["reason"] == "price"
    assert listed["Q-1002"]["status"] == "draft" and listed["Q-1002"]["valid_until"] == "-"
    assert set(table(steward(env, "quote", "list", "--tenant", "acme", "--status",
                             "draft").stdout)) == {"Q-1002"}
    shown = steward(env, "quote", "show", "Q-1001", "--tenant", "acme").stdout
    assert "reason: price over their budget" in shown
    assert ("activity 2026-11-24T15:00Z created (as draft) by pat: for amy@good.example: "
            "1250.00") in shown
    assert "rejected (viewed -> rejected) by pat: over their budget" in shown
    assert [a["activity"] for a in rows(db, schema.quote_activities)] == [
        "created", "created", "sent", "viewed", "rejected"]
    (quote,) = [q for q in rows(db, schema.quotes) if q["quote_number"] == "Q-1001"]
    assert (quote["reason_code"], quote["outcome_reason"]) == ("price", "over their budget")


def test_bad_requests_name_the_fix(env: dict[str, str]) -> None:
    def error(*args: str) -> str:
        return steward(env, "quote", *args, ok=False).stderr

    assert "no contact nobody@good.example for tenant acme" in error(
        "create", "--tenant", "acme", "--contact", "nobody@good.example", "--amount", "5")
    assert "--amount takes a number" in error(
        "create", "--tenant", "acme", "--contact", "amy@good.example", "--amount", "lots")
    assert "--valid-until takes a date YYYY-MM-DD" in error(
        "create", "--tenant", "acme", "--contact", "amy@good.example", "--amount", "5",
        "--valid-until", "31/12/2026")
    steward(env, "quote", "create", "--tenant", "acme", "--contact", "amy@good.example",
            "--amount", "5")
    assert "has no expiry date: give one with --valid-until" in error(
        "send", "Q-1001", "--tenant", "acme")
    yesterday = (NOW - timedelta(days=1)).date().isoformat()
    assert f"was valid until {yesterday}, which has passed" in error(
        "send", "Q-1001", "--tenant", "acme", "--valid-until", yesterday)
    assert "quote Q-1001 is draft: it cannot become accepted (only a sent or viewed" in error(
        "accept", "Q-1001", "--tenant", "acme")
    assert "cannot become expired" in error("expire", "Q-1001", "--tenant", "acme")
    assert "--reason" in error("reject", "Q-1001", "--tenant", "acme")
    assert "unknown status 'won'" in error("list", "--tenant", "acme", "--status", "won")
    assert "no quote Q-1001 for tenant other (see `steward quote list`)" in error(
        "show", "Q-1001", "--tenant", "other")
    assert table(steward(env, "quote", "list", "--tenant", "other").stdout) == {}


def test_show_tells_where_the_follow_ups_stand(db: Database, env: dict[str, str]) -> None:
    steward(env, "quote", "create", "--tenant", "acme", "--contact", "amy@good.example",
            "--amount", "900", "--valid-until", "2026-12-31")
    steward(env, "quote", "create", "--tenant", "acme", "--contact", "bo@good.example",
            "--amount", "900", "--valid-until", "2026-12-31")
    for number in ("Q-1001", "Q-1002"):
        steward(env, "quote", "send", number, "--tenant", "acme")
    steward(env, "quote", "accept", "Q-1002", "--tenant", "acme", "--note", "signed")
    with db.for_tenant("acme") as scope:
        quotes_engine(scope, NOW.replace(minute=0) + timedelta(hours=1))
    shown = steward(env, "quote", "show", "Q-1001", "--tenant", "acme").stdout
    # Tuesday 24 November, three business days on (no holidays configured): Friday 27th.
    assert "follow-ups: active (counted from 2026-11-24T15:00Z), 0 step(s): step 1 due " \
           "2026-11-27 08:00 UTC" in shown
    assert "next follow-up: 2026-11-27T08:00Z" in shown
    accepted = steward(env, "quote", "show", "Q-1002", "--tenant", "acme").stdout
    assert "accepted (sent -> accepted) by pat: signed" in accepted
    assert "follow-ups: not enrolled" in accepted
