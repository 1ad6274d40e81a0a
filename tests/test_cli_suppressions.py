"""`steward suppression list|remove` on both databases: suppressions written by the store the
ingest writes through, listed newest first; lifting one needs a reason, is kept as a warehouse
event, and lets the gate mail the address again; a refusal is one error line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from resources.database import Database
from resources.store import schema
from resources.store.suppressions import lift, suppress
from resources.store.tenants import add_tenant, update_tenant
from services.cadence.stops import shared_stops
from services.gate import propose
from tests.cli import steward
from tests.helpers import NOW, clock_at, customer_email, rows


@pytest.fixture(autouse=True)
def clock():
    with clock_at(NOW):
        yield


@pytest.fixture
def env(db: Database, steward_env: Path) -> dict[str, str]:
    add_tenant(db, "acme")
    update_tenant(db, "acme", settings_patch={"approvals": {"send_email": "auto"}})
    with db.for_tenant("acme") as scope:
        suppress(scope, [
            {"email": "c1@acme.example", "reason": "hard_bounce", "detail": "550 5.1.1 unknown"},
            {"email": "c2@acme.example", "reason": "unsubscribe", "detail": "List-Unsubscribe"},
        ])
    return {**os.environ, "STEWARD_DATABASE_URL": db.resolved_url(), "STEWARD_ACTOR": "kenny"}


def test_list_then_remove_with_a_reason_lets_the_address_be_mailed_again(db, env):
    listed = steward(env, "suppression", "list", "--tenant", "acme").stdout.splitlines()
    assert listed[0].split("\t")[:2] == ["email", "reason"]
    assert [line.split("\t")[:2] for line in listed[1:]] == [
        ["c2@acme.example", "unsubscribe"], ["c1@acme.example", "hard_bounce"]]
    only = steward(env, "suppression", "list", "--tenant", "acme", "--reason", "hard_bounce")
    assert [line.split("\t")[0] for line in only.stdout.splitlines()[1:]] == ["c1@acme.example"]
    (blocked,) = propose(db, "acme", [customer_email(1)], NOW)
    assert blocked.status == "blocked"

    removed = steward(env, "suppression", "remove", "C1@acme.example", "--tenant", "acme",
                      "--reason", "the mailbox exists again").stdout
    assert removed.strip() == "c1@acme.example: suppression (hard_bounce) removed by kenny"
    assert [r["email"] for r in rows(db, schema.suppressions, "acme")] == ["c2@acme.example"]
    (event,) = [e for e in rows(db, schema.warehouse_events, "acme")
                if e["event_type"] == "suppression_lifted"]
    assert event["payload"]["reason"] == "hard_bounce"
    assert (event["payload"]["by"], event["payload"]["why"]) == (
        "kenny", "the mailbox exists again")
    retry = customer_email(1).model_copy(update={"idempotency_key": "send_email:c1:again"})
    (allowed,) = propose(db, "acme", [retry], NOW)
    assert allowed.status == "queued"


def test_a_refused_removal_is_one_error_line(db, env):
    assert "needs a reason" in steward(
        env, "suppression", "remove", "c1@acme.example", "--tenant", "acme", ok=False).stderr
    assert "is not suppressed" in steward(
        env, "suppression", "remove", "x@acme.example", "--tenant", "acme", "--reason", "r",
        ok=False).stderr
    assert "unknown tenant" in steward(
        env, "suppression", "list", "--tenant", "ghost", ok=False).stderr
    assert len(rows(db, schema.suppressions, "acme")) == 2


def test_the_stop_rules_see_a_suppression_written_or_lifted_in_their_own_transaction(db, env):
    """The suppressions a transaction has read are kept for it (the hour's engines all ask), and
    a suppression written or lifted in the same transaction is seen by the next question."""
    enrolled = [{"id": n, "contact_id": None, "address": f"C{n}@acme.example",
                 "started_at": NOW} for n in (1, 3)]
    with db.for_tenant("acme") as scope:
        assert shared_stops(scope, enrolled) == {1: "c1@acme.example is suppressed (hard_bounce)"}
        suppress(scope, [{"email": "c3@acme.example", "reason": "complaint", "detail": "ARF"}])
        assert shared_stops(scope, enrolled)[3] == "c3@acme.example is suppressed (complaint)"
        lift(scope, "c1@acme.example", "kenny", "the mailbox exists again", NOW)
        assert shared_stops(scope, enrolled) == {3: "c3@acme.example is suppressed (complaint)"}
