"""The gate on both databases: decisions recorded with reasons, approvals, rate limits, deferral,
idempotency and concurrency."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from agent.actions import Action
from agent.settings import TenantSettings
from resources.database import Database
from resources.store import schema
from resources.store import tasks as task_store
from resources.store.policy_state import load_state
from resources.store.tenants import update_tenant
from services import approvals
from services.approvals import ApprovalError
from services.deliverables import open_human_task
from services.gate import propose, submit
from services.killswitch import kill_state
from tests.helpers import customer_email, follow_up, rows, seed_tenant

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # a Tuesday afternoon (tenant timezone UTC)


@pytest.fixture
def acme(db: Database) -> Database:
    seed_tenant(db, "acme", contacts=30, touched_days_ago=5)
    return db


def test_an_allowed_action_is_queued_once_with_its_rendered_email(acme: Database):
    (result,) = propose(acme, "acme", [follow_up(1)], NOW)
    assert (result.status, result.rule) == ("queued", "allowed")
    (row,) = rows(acme, schema.outbox)
    assert row["idempotency_key"] == result.key and row["status"] == "pending"
    assert row["payload"]["subject"] == "Checking in from acme"
    assert "Hi Contact1," in row["payload"]["text"] and "unsubscribe" in row["payload"]["text"]
    again = propose(acme, "acme", [follow_up(1)], NOW + timedelta(minutes=5))
    assert again[0].duplicate and again[0].status == "queued"
    assert len(rows(acme, schema.outbox)) == 1


def test_a_block_is_a_policy_violation_with_rule_and_reason(acme: Database):
    task = Action(kind="create_task", payload={}, idempotency_key="task:1", reason="call them")
    results = propose(acme, "acme", [task, follow_up(2)], NOW)
    assert [r.status for r in results] == ["blocked", "queued"]
    (violation,) = rows(acme, schema.policy_violations)
    assert violation["rule"] == "no_human_tasks" and violation["blocked"]
    assert "client asked" in violation["reason"]
    ledger = {r["idempotency_key"]: r for r in rows(acme, schema.actions)}
    assert ledger["task:1"]["status"] == "blocked"
    assert ledger["task:1"]["decision_reason"] == violation["reason"]


def test_bad_input_is_recorded_and_the_batch_goes_on(acme: Database):
    results = propose(
        acme,
        "acme",
        [
            {"kind": "follow_up", "target": "x@acme.example"},  # no idempotency key
            Action(kind="launch_rocket", target="moon", idempotency_key="r:1"),
            Action(kind="follow_up", target="nobody@", idempotency_key="f:bad"),
            Action(kind="follow_up", target="c3@acme.example", idempotency_key="f:novars"),
            follow_up(4),
        ],
        NOW,
    )
    assert [(r.status, r.rule) for r in results] == [
        ("blocked", "invalid_action"),
        ("blocked", "invalid_action"),
        ("blocked", "invalid_address"),
        ("blocked", "template_error"),
        ("queued", "allowed"),
    ]
    assert "first_name" in results[3].reason
    assert len(rows(acme, schema.policy_violations)) == 4


def test_approval_then_delivery_path(acme: Database):
    (waiting,) = propose(acme, "acme", [customer_email()], NOW)
    assert (waiting.status, waiting.rule) == ("awaiting_approval", "approval_tier")
    (task,) = rows(acme, schema.tasks)
    assert task["approval_status"] == "pending"
    assert task["context"]["preview"]["subject"] == "Your inspection"
    assert rows(acme, schema.outbox) == []
    result = approvals.approve(acme, "acme", task["id"], "cli:kenny", "fine", NOW)
    assert (result.status, result.rule) == ("queued", "allowed")
    assert "approved by cli:kenny" in result.reason
    (row,) = rows(acme, schema.outbox)
    assert row["idempotency_key"] == waiting.key
    with pytest.raises(ApprovalError, match="already approved by cli:kenny"):
        approvals.approve(acme, "acme", task["id"], "cli:other", "", NOW)
    with pytest.raises(ApprovalError, match="already approved"):
        approvals.reject(acme, "acme", task["id"], "cli:other", "no", NOW)


def test_rejection_sends_nothing_and_keeps_the_reason(acme: Database):
    (waiting,) = propose(acme, "acme", [customer_email()], NOW)
    approvals.reject(acme, "acme", waiting.task_id, "cli:kenny", "wrong customer", NOW)
    (ledger,) = rows(acme, schema.actions)
    assert ledger["status"] == "rejected"
    assert "wrong customer" in ledger["decision_reason"]
    assert rows(acme, schema.outbox) == []
    again = propose(acme, "acme", [customer_email()], NOW + timedelta(hours=1))
    assert again[0].duplicate and again[0].status == "rejected"
    with pytest.raises(ApprovalError, match="needs a reason"):
        approvals.reject(acme, "acme", waiting.task_id, "cli:kenny", " ", NOW)


def test_approvals_expire(acme: Database):
    (waiting,) = propose(acme, "acme", [customer_email()], NOW)
    later = NOW + timedelta(hours=73)
    with pytest.raises(ApprovalError, match="expired"):
        approvals.approve(acme, "acme", waiting.task_id, "cli:kenny", "", later)
    assert approvals.expire(acme, "acme", later) == 1
    (ledger,) = rows(acme, schema.actions)
    assert ledger["status"] == "expired"
    (task,) = rows(acme, schema.tasks)
    assert (task["approval_status"], task["status"]) == ("expired", "failed")


def test_a_full_bucket_defers_and_the_action_goes_out_in_the_next_window(acme: Database):
    update_tenant(acme, "acme", settings_patch={"caps": {"emails_per_hour": 2}})
    results = propose(acme, "acme", [follow_up(n) for n in range(3)], NOW)
    assert [r.status for r in results] == ["queued", "queued", "deferred"]
    assert results[2].rule == "rate_limit"
    assert results[2].not_before == NOW + timedelta(hours=1)
    assert propose(acme, "acme", [], NOW + timedelta(minutes=30), retry_deferred=True) == []
    retried = propose(acme, "acme", [], NOW + timedelta(hours=1), retry_deferred=True)
    assert [(r.key, r.status) for r in retried] == [(results[2].key, "queued")]
    assert len(rows(acme, schema.outbox)) == 3
    (ledger,) = [r for r in rows(acme, schema.actions) if r["idempotency_key"] == results[2].key]
    assert ledger["evaluations"] == 2


def test_a_backlog_waits_in_line_and_each_hour_tries_only_its_turn(acme: Database):
    """Seven actions for a cap of two an hour: two go now, the others are deferred to the hour
    their place in line reaches, so each later hour tries two of them, not all that wait."""
    morning = NOW - timedelta(hours=5)  # the send window stays open for the four hours
    update_tenant(acme, "acme", settings_patch={"caps": {"emails_per_hour": 2}})
    results = propose(acme, "acme", [follow_up(n) for n in range(7)], morning)
    assert [r.status for r in results] == ["queued"] * 2 + ["deferred"] * 5
    assert [r.not_before - morning for r in results[2:]] == [
        timedelta(hours=h) for h in (1, 1, 2, 2, 3)]
    assert "2 waiting before it" in results[4].reason
    for hour in (1, 2, 3):
        retried = propose(acme, "acme", [], morning + timedelta(hours=hour), retry_deferred=True)
        assert [r.status for r in retried] == ["queued"] * (2 if hour < 3 else 1)
    assert len(rows(acme, schema.outbox)) == 7
    assert {r["evaluations"] for r in rows(acme, schema.actions)} == {1, 2}


def test_two_mails_to_one_contact_in_a_batch_respect_the_touch_gap(acme: Database):
    first, second = follow_up(5, step="a"), follow_up(5, step="b")
    results = propose(acme, "acme", [first, second], NOW)
    assert [r.status for r in results] == ["queued", "deferred"]
    assert results[1].rule == "min_touch_gap"


def test_our_touch_of_any_kind_keeps_the_touch_gap_and_their_mail_does_not(acme: Database):
    """The gap counts from our latest touch as the contact keeps it (a call a person logged, a
    visit of a kind Steward never writes itself), not from mail the client sent us."""
    with acme.for_tenant("acme") as scope:
        ids = dict(scope.execute(scope.select(schema.contacts.c.email, schema.contacts.c.id)).all())
        scope.insert(schema.touches, [
            {"contact_id": ids["c1@acme.example"], "touch_type": "call", "by_whom": "human:ann",
             "occurred_at": NOW - timedelta(hours=2)},
            {"contact_id": ids["c2@acme.example"], "touch_type": "site_visit",
             "by_whom": "human:ann", "occurred_at": NOW - timedelta(hours=3)},
            {"contact_id": ids["c3@acme.example"], "touch_type": "email_in", "by_whom": "client",
             "occurred_at": NOW - timedelta(hours=1)},
        ])
    results = propose(acme, "acme", [follow_up(1), follow_up(2), follow_up(3)], NOW)
    assert [(r.status, r.rule) for r in results] == [
        ("deferred", "min_touch_gap"), ("deferred", "min_touch_gap"), ("queued", "allowed")]
    gap = timedelta(hours=TenantSettings().thresholds.min_touch_gap_hours)
    assert [r.not_before for r in results[:2]] == [
        NOW - timedelta(hours=2) + gap, NOW - timedelta(hours=3) + gap]


def test_a_batch_whose_counter_moved_is_decided_again_one_by_one(acme: Database):
    """The batch counts slots against the usage it read; when another writer took them since,
    the batch is undone and each action takes its slot on its own (here: none left)."""
    update_tenant(acme, "acme", settings_patch={"caps": {"emails_per_hour": 3}})
    with acme.for_tenant("acme") as scope:
        state = load_state(scope, NOW, kill_state(acme, scope.tenant))
        scope.insert(
            schema.rate_limit_counters,
            {"action_kind": "email", "window": "hour", "window_start": NOW, "count": 3},
        )
        results = submit(scope, [follow_up(n) for n in range(3)], state, NOW)
    assert [(r.status, r.rule) for r in results] == [("deferred", "rate_limit")] * 3
    assert rows(acme, schema.outbox) == []
    assert {r["status"] for r in rows(acme, schema.actions)} == {"deferred"}
    assert state.usage.get(("email", "hour"), 0) == 0


def test_concurrent_cycles_never_exceed_a_cap_or_queue_twice(acme: Database):
    update_tenant(acme, "acme", settings_patch={"caps": {"emails_per_hour": 7}})
    batches = [[follow_up(n) for n in range(0, 20)], [follow_up(n) for n in range(10, 30)]]
    results: list = []
    errors: list = []

    def cycle(batch):
        try:
            results.extend(propose(acme, "acme", batch, NOW))
        except Exception as exc:  # surfaced below: a thread's exception would vanish
            errors.append(exc)

    threads = [threading.Thread(target=cycle, args=(b,)) for b in batches]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    queued = rows(acme, schema.outbox)
    assert len(queued) == 7
    assert len({r["idempotency_key"] for r in queued}) == 7
    (counter,) = [r for r in rows(acme, schema.rate_limit_counters) if r["window"] == "hour"]
    assert counter["count"] == 7


def test_an_approval_task_is_logged_from_created_to_its_answer(acme: Database):
    (waiting,) = propose(acme, "acme", [customer_email()], NOW)
    propose(acme, "acme", [customer_email()], NOW + timedelta(minutes=5))  # a rerun
    with acme.for_tenant("acme") as scope:
        (created,) = task_store.events(scope, waiting.task_id)
    assert (created["event"], created["actor"]) == ("created", "gate")
    assert created["detail"].startswith("waits for approval (approval_tier): ")
    approvals.approve(acme, "acme", waiting.task_id, "cli:kenny", "fine", NOW)
    (task,) = rows(acme, schema.tasks)
    with acme.for_tenant("acme") as scope:
        log = [(e["event"], e["actor"]) for e in task_store.events(scope, task["id"])]
    assert (task["status"], task["approval_status"]) == ("completed", "approved")
    assert log == [("created", "gate"), ("approved", "cli:kenny"), ("completed", "cli:kenny")]


def test_an_expired_approval_fails_with_the_reason_in_the_log(acme: Database):
    (waiting,) = propose(acme, "acme", [customer_email()], NOW)
    assert approvals.expire(acme, "acme", NOW + timedelta(hours=73)) == 1
    with acme.for_tenant("acme") as scope:
        log = [(e["event"], e["detail"]) for e in task_store.events(scope, waiting.task_id)]
    assert log[1:] == [("failed", "approval expired unanswered")]
    assert approvals.expire(acme, "acme", NOW + timedelta(hours=74)) == 0


def test_a_task_for_a_person_is_opened_once_and_logged_created(acme: Database):
    row = {
        "idempotency_key": "create_task:jane:call-back",
        "payload": {"title": "Call Jane back", "basis": "client_request"},
        "reason": "Jane asked for a call about the invoice",
        "priority": 70,
    }
    task_id = open_human_task(acme, "acme", row, NOW)
    assert open_human_task(acme, "acme", row, NOW + timedelta(minutes=1)) == task_id
    with acme.for_tenant("acme") as scope:
        (created,) = task_store.events(scope, task_id)
    assert (created["event"], created["actor"]) == ("created", "client_request")
    assert created["detail"] == "a task for a person, from action create_task:jane:call-back"
