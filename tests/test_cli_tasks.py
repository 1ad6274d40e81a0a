"""Tasks from the command line: add (with the approach explained), approve, run the executor
through Dagster, show the log; refusals exit non-zero with the reason; the global pause."""

from __future__ import annotations

import pytest

from tests.cli import steward
from tests.helpers import NOW, clock_at


@pytest.fixture(autouse=True)
def clock():
    """Tasks are dated and decided by the clock, here and in the executor's Dagster runs."""
    with clock_at(NOW):
        yield


def test_add_approve_execute_and_show_from_the_cli(cli_env):
    env = cli_env
    steward(env, "db", "upgrade")
    steward(env, "tenant", "add", "acme")
    added = steward(
        env,
        "task",
        "add",
        "--tenant",
        "acme",
        "Draft a thank-you note to Jane",
        "--kind",
        "content",
        "--context",
        "text=Thank you for the referral.",
    ).stdout
    lines = added.strip().splitlines()
    task_id = lines[-1]
    assert task_id.isdigit()
    assert lines[0].startswith("immediate: ")
    assert f"waits for approval: steward approve {task_id}" in added

    held = steward(env, "run", "executor", "--tenant", "acme").stdout
    assert "acme: nothing to run" in held

    approved = steward(env, "approve", task_id, "--reason", "fine").stdout
    assert approved.startswith(f"task {task_id} approved, now queued")
    ran = steward(env, "run", "executor", "--tenant", "acme").stdout
    assert "acme: completed 1" in ran
    shown = steward(env, "task", "show", task_id).stdout
    assert "status: completed" in shown and "deliverable: " in shown
    for event in ("created", "approved", "started", "completed"):
        assert event in shown

    refused = steward(env, "reject", task_id, "--reason", "late", ok=False).stderr
    assert "already approved" in refused
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
