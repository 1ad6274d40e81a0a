"""The task executor on both databases: drafts that ask no one, sends held for a person and
their approval, rejection and expiry, retries with backoff and escalation, dependencies, pause
and resume, timeouts, dry run, the switches, and the log."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from agent.strategy import L4Item
from agent.tasks.machine import IllegalTransition
from pipelines.executor import executor_schedule
from resources.database import Database
from resources.mailer import Mailer
from resources.store import schema
from resources.store import tasks as store
from resources.store.system_config import set_database_flag, set_executor_pause
from sensors.approvals import task_approvals_sensor
from services import approvals, strategy
from services.approvals import ApprovalError
from services.delivery import dispatch_pass
from services.tasks.executor import AUTO_ENV, roll_up, run_pass
from services.tasks.handlers import HandlerError, Outcome, TaskRun
from tests.helpers import clients, rows, seed_tenant

T0 = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


class Recorder:
    """A handler that completes every task it gets and remembers them, failing the ids in
    `fail` once each (or always, for those in `fail_always`)."""

    def __init__(self, fail: set[int] = frozenset(), fail_always: set[int] = frozenset()):
        self.ran: list[int] = []
        self.fail = set(fail)
        self.fail_always = set(fail_always)

    def __call__(self, run: TaskRun) -> Outcome:
        task_id = run.task["id"]
        self.ran.append(task_id)
        if task_id in self.fail_always or task_id in self.fail:
            self.fail.discard(task_id)
            raise HandlerError(f"provider down for task {task_id}")
        return Outcome("completed", f"did {run.task['title']}", deliverable=f"memo-{task_id}.md")


@pytest.fixture
def acme(db: Database) -> Database:
    seed_tenant(db, "acme")
    return db


@pytest.fixture
def mailer(tmp_path: Path) -> Mailer:
    return Mailer(outbox_dir=str(tmp_path / "outbox"))


def add(db: Database, title: str, execution_type: str = "fully_automated", **kw) -> int:
    with db.for_tenant("acme") as scope:
        return store.create(
            scope,
            title,
            T0,
            kind=kw.pop("kind", "content"),
            execution_type=execution_type,
            handled_kinds=frozenset({"content", "email"}),
            **kw,
        )


def task(db: Database, task_id: int) -> dict:
    with db.for_tenant("acme") as scope:
        return store.get(scope, task_id)


def log(db: Database, task_id: int) -> list[str]:
    with db.for_tenant("acme") as scope:
        return [e["event"] for e in store.events(scope, task_id)]


def test_a_semi_automated_draft_runs_at_once_and_asks_no_one(acme, mailer):
    task_id = add(acme, "Draft the delay email", "semi_automated")
    assert task(acme, task_id)["approval_status"] == "not_required"
    handler = Recorder()
    report = run_pass(acme, clients(mailer), now=T0, handler=handler)
    done = task(acme, task_id)
    assert handler.ran == [task_id] and report.counts["acme"]["completed"] == 1
    assert (done["status"], done["deliverable"]) == ("completed", f"memo-{task_id}.md")
    assert log(acme, task_id) == ["created", "started", "completed"]
    with pytest.raises(ApprovalError, match="nothing of the task waits for an approval"):
        approvals.decide(acme, "acme", task_id, "approve", "cli:kenny", "", T0)


def held_approval(db: Database) -> dict:
    (approval,) = [t for t in rows(db, schema.tasks) if t["kind"] == "approval"]
    return approval


def test_a_semi_automated_send_waits_for_a_person_then_goes_once(acme, mailer, tmp_path):
    task_id = add(
        acme,
        "Send the delay email to ann@harbor.example",
        "semi_automated",
        kind="email",
        description="The inspection moves to Friday.",
    )
    run_pass(acme, clients(mailer), now=T0)
    waiting, approval = task(acme, task_id), held_approval(acme)
    assert (waiting["status"], waiting["approval_status"]) == ("blocked", "pending")
    assert f"approval task {approval['id']} (approval_requested)" in waiting["last_error"]
    assert approval["context"]["preview"]["to"] == "ann@harbor.example"
    assert dispatch_pass(acme, clients(mailer), "acme", now=T0).startswith("acme:")
    assert rows(acme, schema.outbox) == [] and not list(tmp_path.glob("outbox/acme/*.eml"))

    line, result = approvals.decide(acme, "acme", task_id, "approve", "cli:kenny", "ok", T0)
    assert line == f"task {approval['id']} approved (the send of task {task_id})"
    assert result.status == "queued"
    queued = task(acme, task_id)
    assert (queued["status"], queued["approval_status"], queued["last_error"]) == (
        "queued",
        "approved",
        None,
    )
    run_pass(acme, clients(mailer), now=T0)
    done = task(acme, task_id)
    assert (done["status"], done["deliverable"]) == ("completed", f"outbox:task:{task_id}:email")
    assert log(acme, task_id) == [
        "created",
        "started",
        "blocked",
        "approved",
        "started",
        "completed",
    ]
    dispatch_pass(acme, clients(mailer), "acme", now=T0)
    (sent,) = rows(acme, schema.outbox)
    assert sent["status"] == "dry_run" and len(list(tmp_path.glob("outbox/acme/*.eml"))) == 1
    for answer in ("approve", "reject"):
        with pytest.raises(ApprovalError, match="already approved"):
            approvals.decide(acme, "acme", task_id, answer, "cli:kenny", "late", T0)


def test_a_rejected_send_fails_its_task_and_nothing_leaves(acme, mailer):
    task_id = add(acme, "Email ann@harbor.example the new date", "semi_automated", kind="email")
    run_pass(acme, clients(mailer), now=T0)
    approval = held_approval(acme)
    with pytest.raises(ApprovalError, match="needs a reason"):
        approvals.decide(acme, "acme", approval["id"], "reject", "cli:kenny", " ", T0)
    line, _ = approvals.decide(acme, "acme", approval["id"], "reject", "cli:kenny", "wrong", T0)
    assert line == f"task {approval['id']} rejected"
    rejected = task(acme, task_id)
    assert (rejected["status"], rejected["approval_status"], rejected["last_error"]) == (
        "failed",
        "rejected",
        "its send was rejected: wrong",
    )
    assert run_pass(acme, clients(mailer), now=T0).counts["acme"] == {}
    assert rows(acme, schema.outbox) == []
    with pytest.raises(ApprovalError, match="already rejected"):
        approvals.decide(acme, "acme", task_id, "approve", "cli:kenny", "", T0)


def test_an_unanswered_send_expires_and_fails_its_task(acme, mailer):
    task_id = add(acme, "Email ann@harbor.example the new date", "semi_automated", kind="email")
    run_pass(acme, clients(mailer), now=T0)
    approval = held_approval(acme)
    later = T0 + timedelta(hours=73)
    with pytest.raises(ApprovalError, match="expired at"):
        approvals.decide(acme, "acme", task_id, "approve", "cli:kenny", "", later)
    assert approvals.expire(acme, "acme", later) == 1
    expired = task(acme, task_id)
    assert (expired["status"], expired["approval_status"]) == ("failed", "expired")
    assert expired["last_error"] == "its send's approval expired unanswered"
    with pytest.raises(ApprovalError, match=f"the approval for task {approval['id']} expired"):
        approvals.decide(acme, "acme", approval["id"], "approve", "cli:kenny", "", later)
    with pytest.raises(ApprovalError, match="the approval expired unanswered"):
        approvals.decide(acme, "acme", task_id, "approve", "cli:kenny", "", later)
    assert rows(acme, schema.outbox) == []


def test_a_task_waiting_for_a_yes_itself_is_queued_or_failed_by_the_answer(acme, mailer):
    """Tasks made before sends were approved at the gate waited for approval themselves."""
    first, second = (add(acme, f"Draft note {n}", "semi_automated") for n in (1, 2))
    with acme.for_tenant("acme") as scope:
        scope.execute(
            sa.update(schema.tasks)
            .where(schema.tasks.c.id.in_([first, second]))
            .values(approval_status="pending")
        )
    handler = Recorder()
    run_pass(acme, clients(mailer), now=T0, handler=handler)
    assert handler.ran == []
    line, _ = approvals.decide(acme, "acme", first, "approve", "cli:kenny", "ok", T0)
    assert line.startswith(f"task {first} approved, now queued")
    approvals.decide(acme, "acme", second, "reject", "cli:kenny", "wrong customer", T0)
    run_pass(acme, clients(mailer), now=T0, handler=handler)
    assert handler.ran == [first]
    assert task(acme, second)["last_error"] == "rejected: wrong customer"


def test_failures_back_off_1_2_seconds_then_escalate_after_the_third(acme, mailer):
    task_id = add(acme, "Write the weekly post")
    handler = Recorder(fail_always={task_id})
    run_pass(acme, clients(mailer), now=T0, handler=handler)
    first = task(acme, task_id)
    assert (first["status"], first["attempts"]) == ("queued", 1)
    assert first["next_attempt_at"].replace(tzinfo=UTC) == T0 + timedelta(seconds=1)

    run_pass(acme, clients(mailer), now=T0 + timedelta(milliseconds=500), handler=handler)
    assert handler.ran == [task_id]  # not due yet

    run_pass(acme, clients(mailer), now=T0 + timedelta(seconds=1), handler=handler)
    second = task(acme, task_id)
    assert second["attempts"] == 2
    assert second["next_attempt_at"].replace(tzinfo=UTC) == T0 + timedelta(seconds=3)

    run_pass(acme, clients(mailer), now=T0 + timedelta(seconds=3), handler=handler)
    failed = task(acme, task_id)
    assert (failed["status"], failed["attempts"]) == ("failed", 3)
    assert failed["last_error"] == f"provider down for task {task_id}"
    assert log(acme, task_id) == [
        "created",
        "started",
        "failed",
        "retried",
        "started",
        "failed",
        "retried",
        "started",
        "failed",
        "escalated",
    ]
    with acme.for_tenant("acme") as scope:
        (person,) = (
            scope.execute(scope.select(schema.tasks).where(schema.tasks.c.kind == "human"))
            .mappings()
            .all()
        )
        (alert,) = scope.execute(scope.select(schema.alerts)).mappings().all()
    assert person["priority"] == 100 and person["title"] == "Escalated: Write the weekly post"
    assert person["context"]["escalated_task"] == task_id
    assert alert["rule"] == "task_escalated" and alert["severity"] == "error"
    run_pass(acme, clients(mailer), now=T0 + timedelta(hours=1), handler=handler)
    assert len(handler.ran) == 3


def test_a_failing_task_is_retried_and_the_others_go_on(acme, mailer):
    flaky, steady = add(acme, "Write post one"), add(acme, "Write post two")
    handler = Recorder(fail={flaky})
    report = run_pass(acme, clients(mailer), now=T0, handler=handler)
    assert dict(report.counts["acme"]) == {"retrying": 1, "completed": 1}
    run_pass(acme, clients(mailer), now=T0 + timedelta(seconds=1), handler=handler)
    assert (
        task(acme, flaky)["status"] == "completed" and task(acme, steady)["status"] == "completed"
    )


def test_priority_then_age_within_the_batch_limit(acme, mailer):
    low = add(acme, "Write low", priority=10)
    high = add(acme, "Write high", priority=90)
    middle = [add(acme, f"Write middle {n}", priority=50) for n in range(3)]
    handler = Recorder()
    run_pass(acme, clients(mailer), now=T0, handler=handler, limit=3)
    assert handler.ran == [high, middle[0], middle[1]]
    run_pass(acme, clients(mailer), now=T0, handler=handler, limit=3)
    assert handler.ran[3:] == [middle[2], low]


def test_dependencies_run_in_order_and_a_missing_one_is_refused(acme, mailer):
    first = add(acme, "Write the draft")
    second = add(acme, "Write the final version", depends_on=[first])
    handler = Recorder(fail={first})
    run_pass(acme, clients(mailer), now=T0, handler=handler)
    assert handler.ran == [first]
    run_pass(acme, clients(mailer), now=T0 + timedelta(seconds=1), handler=handler)
    assert handler.ran == [first, first]  # the batch was picked while `first` still ran
    run_pass(acme, clients(mailer), now=T0 + timedelta(seconds=1), handler=handler)
    assert handler.ran == [first, first, second]
    with pytest.raises(store.TaskError, match="depends on task\\(s\\) 999"):
        add(acme, "Write more", depends_on=[999])


def test_pause_resume_and_illegal_moves(acme, mailer):
    task_id = add(acme, "Write the post")
    with acme.for_tenant("acme") as scope:
        store.move(scope, task_id, "paused", "paused", "cli:kenny", T0, "wait for photos")
    handler = Recorder()
    run_pass(acme, clients(mailer), now=T0, handler=handler)
    assert handler.ran == []
    with acme.for_tenant("acme") as scope:
        with pytest.raises(IllegalTransition, match="cannot move from paused to completed"):
            store.move(scope, task_id, "completed", "completed", "cli:kenny", T0)
        store.move(scope, task_id, "queued", "resumed", "cli:kenny", T0)
    run_pass(acme, clients(mailer), now=T0, handler=handler)
    assert handler.ran == [task_id]
    with acme.for_tenant("acme") as scope:
        with pytest.raises(IllegalTransition, match="it is terminal"):
            store.move(scope, task_id, "queued", "retried", "cli:kenny", T0)


def test_a_hanging_handler_times_out_and_the_pass_goes_on(acme, mailer):
    stuck, fine = add(acme, "Write slowly", priority=90), add(acme, "Write quickly")
    release = threading.Event()

    def handler(run: TaskRun) -> Outcome:
        if run.task["id"] == stuck:
            release.wait(10)
        return Outcome("completed", "done")

    started = time.monotonic()
    report = run_pass(acme, clients(mailer), now=T0, handler=handler, timeout_s=0.3)
    release.set()
    assert time.monotonic() - started < 5
    assert dict(report.counts["acme"]) == {"retrying": 1, "completed": 1}
    assert task(acme, stuck)["last_error"] == "handler timed out after 0.3 s"
    assert task(acme, fine)["status"] == "completed"


def test_dry_run_walks_the_statuses_without_running_anything(acme, mailer):
    task_id = add(acme, "Write the post")
    handler = Recorder()
    run_pass(acme, clients(mailer), now=T0, handler=handler, dry_run=True)
    assert handler.ran == []
    assert task(acme, task_id)["status"] == "completed"
    with acme.for_tenant("acme") as scope:
        started, completed = store.events(scope, task_id)[1:]
    assert started["dry_run"] and started["detail"].startswith("[DRY RUN] attempt 1 of 3")
    assert completed["detail"] == "[DRY RUN] would run draft_content"


def test_switches_hold_every_pass_with_the_reason(acme, mailer, monkeypatch):
    task_id = add(acme, "Write the post")
    handler = Recorder()
    monkeypatch.setenv(AUTO_ENV, "false")
    assert run_pass(acme, clients(mailer), now=T0, handler=handler).held == f"{AUTO_ENV} is off"
    monkeypatch.delenv(AUTO_ENV)
    set_executor_pause(acme, True, "cli:kenny", "month-end close")
    assert run_pass(acme, clients(mailer), now=T0, handler=handler).held == (
        "executor paused by cli:kenny: month-end close"
    )
    set_executor_pause(acme, False, "cli:kenny")
    set_database_flag(acme, True, "incident", "cli:kenny")
    assert "incident" in run_pass(acme, clients(mailer), now=T0, handler=handler).held
    set_database_flag(acme, False, None, "cli:kenny")
    assert handler.ran == []
    run_pass(acme, clients(mailer), now=T0, handler=handler)
    assert handler.ran == [task_id]


def test_a_playbook_task_is_decomposed_and_completes_with_its_subtasks(acme, mailer):
    parent = add(acme, "Plan the spring newsletter campaign", kind="general")
    parent_row = task(acme, parent)
    assert parent_row["approach"] == "decompose"
    with acme.for_tenant("acme") as scope:
        children = scope.execute(
            scope.select(schema.tasks.c.id, schema.tasks.c.execution_type)
            .where(schema.tasks.c.parent_id == parent)
            .order_by(schema.tasks.c.id)
        ).all()
    handler = Recorder()
    for _ in range(4):
        run_pass(acme, clients(mailer), now=T0, handler=handler)
    assert handler.ran[0] == children[0].id and parent not in handler.ran
    assert sorted(handler.ran) == [c.id for c in children]
    done = task(acme, parent)
    assert done["status"] == "completed" and done["deliverable"].count("memo-") == len(children)


def test_a_blocked_task_says_why_and_the_log_is_append_only(acme, mailer):
    task_id = add(acme, "Call Jane about the invoice", kind="general")
    blocked = task(acme, task_id)
    assert blocked["status"] == "blocked" and "phone call needs a person" in blocked["last_error"]
    with acme.for_tenant("acme") as scope:
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            with scope.conn.begin_nested():
                scope.execute(
                    sa.update(schema.task_events)
                    .where(schema.task_events.c.task_id == task_id)
                    .values(detail="rewritten")
                )


def test_schedule_and_approval_sensor(acme, mailer, monkeypatch):
    monkeypatch.setenv("STEWARD_DATABASE_URL", acme.resolved_url())
    schedule_context = {"scheduled_execution_time": T0, "resources": {"database": acme}}
    with dg.build_schedule_context(**schedule_context) as context:
        idle = executor_schedule(context)
        assert isinstance(idle, dg.SkipReason) and "nothing due" in idle.skip_message
        add(acme, "Summarise the week")
        request = executor_schedule(context)
        assert isinstance(request, dg.RunRequest)
        assert request.run_config["ops"]["execute_tasks"]["config"]["tenants"] == ["acme"]
    set_executor_pause(acme, True, "cli:kenny", "audit")
    with dg.build_schedule_context(**schedule_context) as context:
        skipped = executor_schedule(context)
    assert isinstance(skipped, dg.SkipReason) and "audit" in skipped.skip_message
    set_executor_pause(acme, False, "cli:kenny")

    task_id = add(acme, "Email ann@harbor.example the new date", "semi_automated", kind="email")
    run_pass(acme, clients(mailer), now=T0)
    first = task_approvals_sensor(dg.build_sensor_context(resources={"database": acme}))
    assert not first.run_requests
    approvals.decide(acme, "acme", task_id, "approve", "cli:kenny", "", T0)
    context = dg.build_sensor_context(cursor=first.cursor, resources={"database": acme})
    second = task_approvals_sensor(context)
    (request,) = second.run_requests
    assert request.run_config["ops"]["execute_tasks"]["config"]["tenants"] == ["acme"]
    again = dg.build_sensor_context(cursor=second.cursor, resources={"database": acme})
    assert not task_approvals_sensor(again).run_requests


def test_a_strategy_runs_in_dependency_order_and_pauses_with_its_execution(acme, mailer):
    items = [
        L4Item(id="a", title="Research the warm leads"),
        L4Item(id="b", title="Write the brochure copy", depends_on=("a",)),
    ]
    with acme.for_tenant("acme") as scope:
        strategy.define(scope, "spring", items, "more orders", T0)
        execution = strategy.start(scope, "spring", "cli:kenny", T0)
        strategy.pause(scope, execution, "cli:kenny", T0)
    handler = Recorder()
    run_pass(acme, clients(mailer), now=T0, handler=handler)
    assert handler.ran == []
    with acme.for_tenant("acme") as scope:
        strategy.resume(scope, execution, "cli:kenny", T0)
    for _ in range(4):
        run_pass(acme, clients(mailer), now=T0, handler=handler)
    with acme.for_tenant("acme") as scope:
        kinds = dict(scope.execute(scope.select(schema.tasks.c.id, schema.tasks.c.plan_key)).all())
        state = strategy.status(scope, "spring")
    assert [kinds[i] for i in handler.ran] == [
        "a:research",
        "a:analysis",
        "b:content",
        "b:analysis",
    ]
    assert state["execution"]["status"] == "completed"
    assert state["metrics"]["completed"] == 4 and state["health"]["status"] == "excellent"


def test_an_attempt_whose_executor_died_counts_as_failed(acme, mailer):
    task_id = add(acme, "Write the post")
    with acme.for_tenant("acme") as scope:
        scope.execute(
            sa.update(schema.tasks)
            .where(schema.tasks.c.id == task_id)
            .values(status="in_progress", attempts=1, started_at=T0 - timedelta(hours=1))
        )
    report = run_pass(acme, clients(mailer), now=T0, handler=Recorder(), timeout_s=60)
    lost = task(acme, task_id)
    assert report.counts["acme"]["reclaimed"] == 1
    assert (lost["status"], lost["last_error"]) == (
        "queued",
        "the executor stopped during the attempt",
    )
    assert lost["next_attempt_at"].replace(tzinfo=UTC) == T0 + timedelta(seconds=1)
    assert lost["duration_ms"] == 3_600_000
    assert log(acme, task_id)[-2:] == ["failed", "retried"]


def test_a_batch_move_refuses_an_illegal_transition_before_writing_anything(acme):
    ready, done = add(acme, "Write the post"), add(acme, "Write the note")
    with acme.for_tenant("acme") as scope:
        store.move(scope, done, "in_progress", "started", "executor", T0)
        store.move(scope, done, "completed", "completed", "executor", T0)
        moves = [store.Move(ready, "pending"), store.Move(done, "completed")]
        with pytest.raises(IllegalTransition, match="cannot move from completed to queued"):
            store.move_many(scope, moves, "queued", "resumed", "cli:kenny", T0)
    assert (task(acme, ready)["status"], log(acme, ready)) == ("pending", ["created"])
    assert log(acme, done) == ["created", "started", "completed"]


def test_a_batch_move_leaves_a_task_whose_compare_and_set_it_lost(acme):
    first, second, third = (add(acme, f"Write post {n}") for n in range(3))
    with acme.for_tenant("acme") as scope:
        store.move(scope, second, "paused", "paused", "cli:kenny", T0)  # after the batch read it
        moves = [
            store.Move(t, "pending", f"cancel {t}", {"last_error": f"x{t}"})
            for t in (first, second, third)
        ]
        moved = store.move_many(
            scope,
            moves,
            "failed",
            "failed",
            "cli:kenny",
            T0,
            finished_at=T0,
        )
    assert [(r["id"], r["status"], r["last_error"]) for r in moved] == [
        (first, "failed", f"x{first}"),
        (third, "failed", f"x{third}"),
    ]
    lost = task(acme, second)
    assert (lost["status"], lost["last_error"], log(acme, second)) == (
        "paused",
        None,
        ["created", "paused"],
    )
    with acme.for_tenant("acme") as scope:
        assert store.events(scope, third)[-1]["detail"] == f"cancel {third}"
    assert task(acme, first)["last_error"] == f"x{first}"


def test_a_failed_subtask_blocks_its_parent_with_the_subtask_named(acme):
    parent = add(acme, "Plan the spring newsletter campaign", kind="general")
    with acme.for_tenant("acme") as scope:
        first = scope.scalar(
            scope.select(sa.func.min(schema.tasks.c.id)).where(schema.tasks.c.parent_id == parent)
        )
        store.move(scope, first, "failed", "failed", "executor", T0, "provider down")
        assert roll_up(scope, T0) == 1
        assert roll_up(scope, T0) == 0  # blocked now: not rolled up again
    blocked = task(acme, parent)
    why = f"subtask {first} failed; a person must decide how to go on"
    assert (blocked["status"], blocked["last_error"]) == ("blocked", why)
    assert log(acme, parent)[-1] == "blocked"
