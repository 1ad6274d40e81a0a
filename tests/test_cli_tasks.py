"""Tasks from the command line: add (with the approach and what will happen explained), run the
executor through Dagster, approve what leaves, show the log; refusals exit non-zero with one
line; the global pause."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from tests.cli import steward
from tests.helpers import NOW, clock_at


@pytest.fixture(autouse=True)
def clock():
    """Tasks are dated and decided by the clock, here and in the executor's Dagster runs."""
    with clock_at(NOW):
        yield


def test_a_draft_runs_at_once_and_a_send_waits_for_approval_from_the_cli(cli_env, steward_env):
    env = cli_env
    steward(env, "db", "upgrade")
    steward(env, "tenant", "add", "acme")
    draft = steward(
        env,
        "task",
        "add",
        "--tenant",
        "acme",
        "Draft email to john@example.com thanking him for the meeting",
    ).stdout.splitlines()
    draft_id = draft[-1]
    assert draft[:2] == [
        "immediate: Steward can draft an email from a template now ('Draft' + 'email')",
        "runs now (next executor pass), no approval needed: what it makes stays in Steward",
    ]
    send = steward(
        env,
        "task",
        "add",
        "--tenant",
        "acme",
        "Send the thank-you email to john@example.com",
        "--kind",
        "email",
        "--description",
        "Thank you for the meeting on Tuesday.",
    ).stdout.splitlines()
    send_id = send[-1]
    assert send[1] == (
        "drafted now (next executor pass); then the send waits for approval: "
        f"steward approve {send_id}"
    )
    late = steward(
        env, "task", "add", "--tenant", "acme", "Email ann@client.example", "--kind", "email"
    )
    late_id = late.stdout.splitlines()[-1]
    early = steward(env, "approve", send_id, ok=False).stderr
    assert "nothing of the task waits for an approval" in early

    ran = steward(env, "run", "executor", "--tenant", "acme").stdout
    assert "acme: blocked 2, completed 1" in ran
    shown = steward(env, "task", "show", draft_id).stdout
    assert "kind: content" in shown and "status: completed" in shown
    assert "approval_status: not_required" in shown
    drafted = Path(shown.split("deliverable: ")[1].split()[0]).read_text()
    assert "- To: john@example.com" in drafted
    listed = steward(env, "task", "list", "--tenant", "acme").stdout.splitlines()
    approvals = [row for row in (line.split("\t") for line in listed) if row[3] == "approval"]
    assert [a[-1] for a in approvals] == [
        "Approve send_email to john@example.com",
        "Approve send_email to ann@client.example",
    ]
    held = steward(env, "task", "show", approvals[0][0]).stdout
    assert "holds: send_email to john@example.com" in held
    assert "Thank you for the meeting on Tuesday." in held
    mail = steward_env / "outbox" / "acme"
    steward(env, "outbox", "dispatch", "--tenant", "acme")
    assert steward(env, "outbox", "list", "--tenant", "acme").stdout == ""
    assert not list(mail.glob("*.eml"))

    approved = steward(env, "approve", send_id, "--reason", "fine").stdout
    assert approved.startswith(f"task {approvals[0][0]} approved (the send of task {send_id})")
    assert "\tqueued\tsend_email\tjohn@example.com\t" in approved
    assert "dry_run 1" in steward(env, "outbox", "dispatch", "--tenant", "acme").stdout
    (eml,) = mail.glob("*.eml")
    assert "To: john@example.com" in eml.read_text()
    assert "acme: completed 1" in steward(env, "run", "executor", "--tenant", "acme").stdout
    assert "status: completed" in steward(env, "task", "show", send_id).stdout

    for command in (["approve", send_id], ["task", "reject", send_id, "--reason", "late"]):
        assert "already approved" in steward(env, *command, ok=False).stderr
    for command in (
        ["approve", "999"],
        ["task", "approve", "999"],
        ["reject", "999", "--reason", "x"],
    ):
        assert steward(env, *command, ok=False).stderr.strip() == "error: no task 999"
    with clock_at(NOW + timedelta(hours=73)):
        expired = steward(env, "task", "approve", late_id, ok=False).stderr
        assert f"error: the approval for task {approvals[1][0]} expired at" in expired
        steward(env, "outbox", "dispatch", "--tenant", "acme")
        for command in (["approve", late_id], ["reject", approvals[1][0], "--reason", "x"]):
            assert "expired unanswered" in steward(env, *command, ok=False).stderr
    assert "status: failed" in steward(env, "task", "show", late_id).stdout
    assert len(list(mail.glob("*.eml"))) == 1

    missing = steward(
        env, "task", "add", "--tenant", "acme", "Follow up", "--depends-on", "999", ok=False
    ).stderr
    assert "999, which do not exist" in missing

    call = steward(env, "task", "add", "--tenant", "acme", "Call Jane about the invoice")
    assert call.stdout.startswith("blocked: a phone call needs a person")
    listed = steward(env, "task", "list", "--tenant", "acme").stdout
    assert "blocked" in listed and "completed" in listed

    bad = steward(env, "tenant", "update", "acme", "--provider", "social_post=ftp://x", ok=False)
    assert "invalid settings" in bad.stderr and "ftp://x" in bad.stderr
    steward(env, "tenant", "update", "acme", "--provider", "social_post=https://hooks.example/p")
    assert (
        '"social_post": "https://hooks.example/p"' in steward(env, "tenant", "show", "acme").stdout
    )

    steward(env, "executor", "pause", "--reason", "month-end close")
    paused = steward(env, "run", "executor", "--tenant", "acme").stdout
    assert "executor held: executor paused by" in paused and "month-end close" in paused
    steward(env, "executor", "resume")
