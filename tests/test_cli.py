"""The `steward` command as a user or a script runs it: output, exit codes, Dagster runs.

Most commands run in process (tests/cli.py); the console script itself is run in a subprocess
for help, a failure's one line and exit code, and a real `steward run` through Dagster.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg

from assets.hour import HOUR_TAG, parse_hour
from pipelines.instance import PROJECT
from pipelines.launch import wait_for_run
from resources.database import Database
from resources.store import schema
from resources.store.tenants import update_tenant
from tests.cli import steward, steward_process
from tests.helpers import NOW, clock_at, rows, seed_tenant


@clock_at(NOW)  # the kill switch is announced with the time
def test_tenant_commands_and_kill_switch(cli_env: dict[str, str]) -> None:
    steward(cli_env, "db", "upgrade")
    steward(cli_env, "tenant", "add", "acme", "--name", "Acme Appraisals", "--timezone",
            "America/Chicago", "--mailbox", "maildir:///tmp/acme", "--cap", "emails_per_day=20")
    steward(cli_env, "tenant", "add", "beta", "--send-mode", "internal_only",
            "--allowlist", "beta.example", "--from-address", "office@beta.example")
    steward(cli_env, "tenant", "update", "acme", "--send-mode", "limited_live",
            "--from-address", "office@acme.example")
    steward(cli_env, "tenant", "disable", "beta")
    listed = steward(cli_env, "tenant", "list").stdout.splitlines()
    assert [line.split("\t")[:3] for line in listed] == [
        ["acme", "enabled", "limited_live"], ["beta", "disabled", "internal_only"]]
    assert '"emails_per_day": 20' in steward(cli_env, "tenant", "show", "acme").stdout

    assert steward(cli_env, "killswitch", "status").stdout.strip() == "off"
    steward(cli_env, "killswitch", "on", "--reason", "storm")
    status = steward(cli_env, "killswitch", "status").stdout
    assert status.startswith("on\tglobal (database)\tstorm")
    steward(cli_env, "killswitch", "off")
    env_on = {**cli_env, "STEWARD_KILL_SWITCH": "1"}
    assert steward(env_on, "killswitch", "status").stdout.startswith("on\tglobal (STEWARD_KILL")


def test_bad_input_gives_one_line_and_non_zero(cli_env: dict[str, str]) -> None:
    if "STEWARD_DATABASE_URL" not in cli_env:
        assert "steward db upgrade" in steward(cli_env, "tenant", "list", ok=False).stderr
    steward(cli_env, "db", "upgrade")
    assert "send_mode" in steward(cli_env, "tenant", "add", "x", "--send-mode", "yolo",
                                  ok=False).stderr
    steward(cli_env, "tenant", "add", "x", "--cap", "emails_per_day", ok=False)
    steward(cli_env, "tenant", "add", "x", "--timezone", "Mars/Base", ok=False)
    steward(cli_env, "tenant", "add", "Bad Slug", ok=False)
    # usage errors too are one line, naming the command's --help
    assert "(see `steward tenant add --help`)" in steward(
        cli_env, "tenant", "add", ok=False).stderr
    assert "Did you mean 'list'?" in steward(cli_env, "tenant", "lst", ok=False).stderr
    assert steward(cli_env, "nosuch", ok=False).returncode == 2
    assert "unknown tenant" in steward(cli_env, "tenant", "enable", "ghost", ok=False).stderr
    assert "unknown tenant" in steward(cli_env, "run", "overview", "--tenant", "ghost",
                                       ok=False).stderr
    steward(cli_env, "run", "nonsense", "--all", ok=False)
    steward(cli_env, "run", "overview", ok=False)
    steward(cli_env, "run", "overview", "--all", "--hour", "yesterday", ok=False)
    unreachable = {**cli_env, "STEWARD_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/x"}
    assert "cannot reach the database" in steward(unreachable, "tenant", "list", ok=False).stderr


def test_run_launches_through_the_instance_and_shows_in_run_history(
    cli_env: dict[str, str], steward_env: Path
) -> None:
    steward(cli_env, "db", "upgrade")
    steward(cli_env, "tenant", "add", "acme")
    steward(cli_env, "tenant", "add", "beta")
    hour = ("--hour", "2026-11-20T14")
    output = steward_process(cli_env, "run", "overview", "--all", *hour).stdout
    assert "succeeded" in output and "for 2 tenant(s)" in output
    steward_process(cli_env, "run", "overview", "--tenant", "beta")

    os.environ["DAGSTER_HOME"] = str(steward_env / "dagster")
    with dg.DagsterInstance.get() as instance:
        runs = instance.get_runs()
        assert [r.job_name for r in runs] == ["overview", "overview"]
        assert all(r.status == dg.DagsterRunStatus.SUCCESS for r in runs)
        assert all(r.remote_job_origin is not None for r in runs)
        assert runs[1].tags["steward/hour"] == "2026-11-20T14"
        assert runs[0].tags["dagster/partition"] == "beta"
        parse_hour(runs[0].tags["steward/hour"])  # the hour it ran for, even when not asked
        assert instance.get_dynamic_partitions("tenants") == ["acme", "beta"]


def test_database_from_a_newer_steward_is_refused(steward_env: Path) -> None:
    import sqlalchemy as sa

    env = dict(os.environ)
    steward(env, "db", "upgrade")
    engine = sa.create_engine(f"sqlite:///{steward_env / 'steward.db'}")
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = 'ffff'"))
    engine.dispose()
    assert "schema is at ffff" in steward(env, "tenant", "list", ok=False).stderr
    assert "ffff" in steward(env, "db", "upgrade", ok=False).stderr


def test_the_console_script_lists_its_commands(steward_env: Path) -> None:
    shown = steward_process(dict(os.environ), "--help").stdout
    for command in ("tenant", "killswitch", "run", "action", "outbox", "task", "strategy"):
        assert command in shown


def test_the_console_script_fails_with_one_error_line_and_exit_code_1(steward_env: Path) -> None:
    refused = steward_process(dict(os.environ), "tenant", "list", ok=False)
    assert refused.returncode == 1
    assert "run `steward db upgrade`" in refused.stderr and refused.stdout == ""


def reexecute(instance: dg.DagsterInstance, parent_id: str) -> str:
    """Re-execute a run as the UI's Re-execute button does (the webserver's
    launch_reexecution_from_parent_run: every step, the parent's tags inherited)."""
    from dagster._cli.workspace.cli_target import (
        get_code_location_from_workspace,
        get_remote_job_from_remote_repo,
        get_remote_repository_from_code_location,
        get_workspace_from_cli_opts,
    )
    from dagster._core.execution.plan.resume_retry import ReexecutionStrategy
    from dagster_shared.cli import WorkspaceOpts

    parent = instance.get_run_by_id(parent_id)
    opts = WorkspaceOpts(workspace=[str(PROJECT / "workspace.yaml")])
    with get_workspace_from_cli_opts(instance, dg.__version__, opts, log_level="WARNING") as ws:
        location = get_code_location_from_workspace(ws, None)
        repo = get_remote_repository_from_code_location(location, None)
        run = instance.create_reexecuted_run(
            request_context=ws,
            parent_run=parent,
            code_location=location,
            remote_job=get_remote_job_from_remote_repo(repo, parent.job_name),
            strategy=ReexecutionStrategy.ALL_STEPS,
            use_parent_run_tags=True,
        )
        instance.submit_run(run.run_id, ws)
    return wait_for_run(instance, run.run_id).run_id


def test_a_cli_cycle_reports_filed_apart_from_sent_and_its_re_execution_keeps_its_hour(
    steward_env: Path,
) -> None:
    env = dict(os.environ)
    steward(env, "db", "upgrade")
    db = Database()
    # relative to the real clock on purpose: run records are stamped by the run storage's own
    # clock, which a moved test clock does not reach; nothing below depends on the hour itself
    now = datetime.now(UTC)
    seed_tenant(db, "acme", contacts=3, touched_days_ago=60, now=now)
    always = {"start_hour": 0, "end_hour": 24, "weekends": True}
    update_tenant(db, "acme", settings_patch={"send_window": always})
    ran = steward(env, "run", "cycle", "--tenant", "acme").stdout
    assert "acme: cycle 1 for" in ran and "completed" in ran
    assert "sent 0 (left Steward), filed 3 (.eml or file, not sent)" in ran
    filed = rows(db, schema.outbox, "acme")
    assert [r["status"] for r in filed] == ["dry_run"] * 3

    os.environ["DAGSTER_HOME"] = str(steward_env / "dagster")
    with dg.DagsterInstance.get() as instance:
        (parent,) = instance.get_runs()
        hour = parent.tags[HOUR_TAG]
        assert parse_hour(hour) == now.replace(minute=0, second=0, microsecond=0)
        child = instance.get_run_by_id(reexecute(instance, parent.run_id))
    assert child.status == dg.DagsterRunStatus.SUCCESS
    assert child.tags[HOUR_TAG] == hour and child.parent_run_id == parent.run_id
    assert rows(db, schema.outbox, "acme") == filed  # the same hour again sends nothing twice
    (cycle,) = rows(db, schema.agent_runs, "acme")
    assert cycle["dagster_run_id"] == child.run_id and f"{cycle['cycle_hour']:%Y-%m-%dT%H}" == hour
