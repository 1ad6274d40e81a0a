"""Guarded actions from the command line and from Dagster: propose, approve, reject, dispatch
to a real SMTP server, resolve; the approval and dispatch jobs; the dispatch schedule.

The gate decides by the clock (send window, approval expiry), and all of this runs in this
process, so every test runs with the clock moved to NOW (`clock_at`, ticking): on any day.
"""

from __future__ import annotations

import dagster as dg
import pytest

from assets.hour import HOUR_TAG
from pipelines.definitions import defs
from pipelines.outbox import dispatch_schedule
from resources.database import Database
from resources.mailer import Mailer
from resources.store import schema
from resources.store.system_config import set_database_flag
from resources.store.tenants import add_tenant, update_tenant
from services.gate import propose
from tests.cli import steward
from tests.helpers import NOW, clock_at, customer_email, resources, rows
from tests.smtp_sink import SmtpSink


@pytest.fixture(autouse=True)
def clock():
    with clock_at(NOW):
        yield


def test_propose_approve_reject_and_dispatch_from_the_cli(cli_env, tmp_path):
    with SmtpSink() as sink:
        env = {**cli_env, "STEWARD_SMTP_URL": sink.url()}
        steward(env, "db", "upgrade")
        steward(
            env,
            "tenant",
            "add",
            "acme",
            "--send-mode",
            "limited_live",
            "--from-address",
            "office@acme.example",
            "--threshold",
            "min_touch_gap_hours=0",
            "--approval",
            "follow_up=auto",
        )
        steward(env, "tenant", "update", "acme", "--goal", "orders_per_month=60")
        assert '"orders_per_month": 60' in steward(env, "tenant", "show", "acme").stdout
        proposed = steward(
            env,
            "action",
            "propose",
            "--tenant",
            "acme",
            "--kind",
            "send_email",
            "--target",
            "bob@client.example",
            "--var",
            "subject=Your report",
            "--var",
            "body=It is attached.",
            "--key",
            "mail-1",
        ).stdout
        assert proposed.startswith("awaiting_approval\tsend_email\tbob@client.example")
        task_id = proposed.split(" task ")[1].split()[0]
        steward(
            env,
            "action",
            "propose",
            "--tenant",
            "acme",
            "--kind",
            "send_email",
            "--target",
            "eve@client.example",
            "--var",
            "subject=Hi",
            "--var",
            "body=x",
            "--key",
            "mail-2",
        )
        other = str(int(task_id) + 1)

        approved = steward(env, "approve", task_id, "--reason", "checked").stdout
        assert approved.startswith(f"task {task_id} approved\tqueued")
        assert "needs a reason" in steward(env, "reject", other, ok=False).stderr
        steward(env, "reject", other, "--reason", "wrong person")
        again = steward(env, "approve", other, ok=False).stderr
        assert f"task {other} was already rejected by" in again
        missing = steward(env, "reject", "999", "--reason", "x", ok=False).stderr
        assert "no task 999" in missing

        dispatched = steward(env, "outbox", "dispatch", "--tenant", "acme").stdout
        assert dispatched.strip() == "acme: sent 1"
        assert sink.to() == ["bob@client.example"]
        listed = steward(env, "action", "list", "--tenant", "acme").stdout
        assert "rejected" in listed and "wrong person" in listed

        blocked = steward(
            env,
            "action",
            "propose",
            "--tenant",
            "acme",
            "--kind",
            "follow_up",
            "--target",
            "bob@",
            "--key",
            "bad",
        ).stdout
        assert blocked.startswith("blocked\tfollow_up\tbob@\tinvalid_address")
        unknown = steward(
            env, "outbox", "resolve", "mail-1", "--tenant", "acme", "--sent", ok=False
        ).stderr
        assert "is sent, not delivery_unknown" in unknown


@pytest.fixture
def acme(db: Database) -> Database:
    add_tenant(db, "acme")
    update_tenant(
        db,
        "acme",
        settings_patch={"send_mode": "limited_live", "from_address": "office@acme.example"},
    )
    return db


def decide_in_dagster(db: Database, task_id: int, decision: str) -> dg.ExecuteInProcessResult:
    config = {"task_id": task_id, "decision": decision, "actor": "ui:kenny"}
    with dg.DagsterInstance.ephemeral() as instance:
        return defs.resolve_job_def("approval").execute_in_process(
            run_config={"ops": {"decide_approval": {"config": config}}},
            resources=resources(db),
            instance=instance,
            raise_on_error=False,
        )


def test_the_approval_job_approves_from_launchpad_config(acme: Database, tmp_path):
    (waiting,) = propose(acme, "acme", [customer_email(1)], NOW)
    result = decide_in_dagster(acme, waiting.task_id, "approve")
    assert result.success
    (task,) = rows(acme, schema.tasks)
    assert (task["approval_status"], task["decided_by"]) == ("approved", "ui:kenny")
    assert [r["idempotency_key"] for r in rows(acme, schema.outbox)] == [waiting.key]

    for task_id, decision, expected in (
        (waiting.task_id, "approve", "already approved"),
        (99999, "approve", "no task 99999"),
    ):
        failed = decide_in_dagster(acme, task_id, decision)
        (failure,) = [e for e in failed.all_events if e.is_step_failure]
        error = failure.step_failure_data.error
        assert error.cls_name == "Failure" and expected in error.message
        assert "\n" not in error.message.strip()  # one line, no stack trace in the message


def test_the_dispatch_job_sends_and_reports_per_tenant(acme: Database, tmp_path, monkeypatch):
    monkeypatch.delenv("STEWARD_KILL_SWITCH", raising=False)
    update_tenant(
        acme,
        "acme",
        settings_patch={
            "approvals": {"send_email": "auto"},
            "send_window": {"start_hour": 0, "end_hour": 24, "weekends": True},
        },
    )
    propose(acme, "acme", [customer_email(1)], NOW)
    with SmtpSink() as sink, dg.DagsterInstance.ephemeral() as instance:
        mailer = Mailer(smtp_url=sink.url(), outbox_dir=str(tmp_path))
        result = defs.resolve_job_def("dispatch").execute_in_process(
            resources=resources(acme, mailer), instance=instance
        )
        assert result.success
        assert sink.to() == ["c1@acme.example"]
    summary = result.output_for_node("dispatch_outbox")
    assert summary == 1


def test_the_dispatch_schedule_runs_only_when_something_is_due(acme, monkeypatch, tmp_path):
    monkeypatch.setenv("STEWARD_DATABASE_URL", acme.resolved_url())
    monkeypatch.delenv("STEWARD_KILL_SWITCH", raising=False)
    add_tenant(acme, "quiet")
    always = {"start_hour": 0, "end_hour": 24, "weekends": True}
    update_tenant(
        acme, "acme", settings_patch={"approvals": {"send_email": "auto"}, "send_window": always}
    )
    with (
        dg.DagsterInstance.local_temp(str(tmp_path)) as instance,
        dg.build_schedule_context(
            instance=instance, scheduled_execution_time=NOW, resources={"database": acme}
        ) as context,
    ):
        idle = dispatch_schedule(context)
        assert isinstance(idle, dg.SkipReason) and "nothing due" in idle.skip_message
        propose(acme, "acme", [customer_email(1)], NOW)
        request = dispatch_schedule(context)
        assert isinstance(request, dg.RunRequest)
        assert request.run_config["ops"]["dispatch_outbox"]["config"]["tenants"] == ["acme"]
        assert request.tags["steward/area"] == "dispatch" and HOUR_TAG in request.tags
        set_database_flag(acme, True, "storm", "test")
        skipped = dispatch_schedule(context)
    assert isinstance(skipped, dg.SkipReason) and "storm" in skipped.skip_message
