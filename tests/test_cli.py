"""The `steward` command as a user or a script runs it: output, exit codes, Dagster runs.

Most commands run in process (tests/cli.py); the console script itself is run in a subprocess
for help, a failure's one line and exit code, and a real `steward run` through Dagster.
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

from tests.cli import steward, steward_process
from tests.helpers import NOW, clock_at


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
