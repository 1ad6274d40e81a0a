"""`steward broadcast` on both databases: a campaign that cannot work is refused at creation with
one line; a draft cannot start before a person approves it; once started its audience is frozen
with the suppressed and unreachable contacts kept as skipped; pause, resume and cancel (with a
reason) show in its status and its rows; one tenant never sees another's campaigns."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from resources.database import Database
from resources.database.clock import aware
from resources.store import schema
from resources.store.tenants import add_tenant
from tests.cli import steward
from tests.helpers import NOW, clock_at, rows


@pytest.fixture(autouse=True)
def clock():
    with clock_at(NOW):  # Tuesday 24 November 2026
        yield


@pytest.fixture
def env(db: Database, steward_env: Path) -> dict[str, str]:
    add_tenant(db, "acme", timezone="America/New_York")
    add_tenant(db, "other")
    with db.for_tenant("acme") as scope:
        scope.insert(schema.accounts, {"name": "Brook Bank", "industry": "Banking"})
        bank = scope.scalar(scope.select(schema.accounts.c.id))
        scope.insert(schema.contacts, [
            {"account_id": bank, "email": f"c{i}@client.example", "first_name": f"Cy{i}",
             "profile": {"tags": ["newsletter"] if i < 4 else ["vip"]}} for i in range(6)])
        scope.insert(schema.contacts, {"account_id": bank, "first_name": "Nomail",
                                       "profile": {"tags": ["newsletter"]}})
        scope.insert(schema.suppressions, {"email": "c1@client.example", "reason": "unsubscribe"})
    return {**os.environ, "STEWARD_DATABASE_URL": db.resolved_url(), "STEWARD_ACTOR": "pat"}


def table(text: str) -> list[dict[str, str]]:
    header, *lines = [line.split("\t") for line in text.strip().splitlines()]
    return [dict(zip(header, line, strict=True)) for line in lines]


CREATE = ("broadcast", "create", "winter news", "--tenant", "acme", "--subject",
          "News for {{ first_name }}")


@pytest.mark.parametrize(("options", "error"), [
    (["--text", "Hello", "--tag", "nobody-has-this"], "the segment selects nobody"),
    (["--text", "Hello {{ nickname }}", "--tag", "newsletter"], "uses {{ nickname }}"),
    (["--text", "Hello", "--at", "tomorrow 9am"], "--at takes 'YYYY-MM-DD HH:MM'"),
    (["--text", "Hello", "--last-order-after", "2026-13-01"], "--last-order-after takes a date"),
    (["--text", "Hello", "--engagement", "asleep"], "invalid segment: engagement"),
    (["--tag", "newsletter"], "give --text or --text-file"),
])
def test_a_campaign_that_cannot_work_is_refused_with_one_line(db, env, options, error):
    ran = steward(env, *CREATE, *options, ok=False)
    assert ran.stdout == ""
    assert error in ran.stderr
    assert rows(db, schema.broadcasts) == []


def test_a_campaign_is_approved_started_paused_resumed_and_cancelled(
    db: Database, env: dict[str, str], tmp_path: Path
) -> None:
    body = tmp_path / "body.txt"
    body.write_text("Hello {{ name }},\nline two\nline three\nline four\n", encoding="utf-8")
    made = steward(env, *CREATE, "--text-file", str(body), "--tag", "newsletter",
                   "--at", "2026-11-25 09:00", "--batch-size", "2")
    (campaign,) = rows(db, schema.broadcasts)
    assert made.stdout.strip() == (
        f"campaign {campaign['id']} 'winter news': draft, 4 recipients selected now; approve it "
        "with steward broadcast approve 'winter news' --tenant acme")
    assert aware(campaign["starts_at"]) == datetime(2026, 11, 25, 14, tzinfo=UTC)  # 9am in NY
    assert (campaign["status"], campaign["batch_size"], campaign["created_by"]) == (
        "draft", 2, "pat")
    (listed,) = table(steward(env, "broadcast", "list", "--tenant", "acme").stdout)
    assert (listed["name"], listed["status"], listed["audience"]) == ("winter news", "draft", "0")
    shown = steward(env, "broadcast", "show", "winter news", "--tenant", "acme").stdout
    assert "segment: tags=['newsletter']" in shown
    assert "text: Hello {{ name }}, / line two / line three ..." in shown
    assert "starts_at: 2026-11-25T14:00Z" in shown and "approved_by: -" in shown

    early = steward(env, "broadcast", "start", "winter news", "--tenant", "acme", ok=False)
    assert "a draft campaign cannot start (only approved)" in early.stderr
    by_steward = steward(env, "broadcast", "approve", "winter news", "--tenant", "acme",
                         "--by", "steward", ok=False)
    assert "approved by a person" in by_steward.stderr
    approved = steward(env, "broadcast", "approve", "winter news", "--tenant", "acme")
    assert "approved by pat" in approved.stdout
    started = steward(env, "broadcast", "start", "winter news", "--tenant", "acme")
    assert started.stdout.strip() == ("campaign 'winter news': running, 5 recipients, 3 to send, "
                                      "2 skipped (no address 1, suppressed 1)")
    status = steward(env, "broadcast", "status", "winter news", "--tenant", "acme").stdout
    assert "winter news [running]: sent 0 / remaining 3 of 5" in status
    for line in ("sent 0", "remaining 3", "skipped 2 (no address 1, suppressed 1)", "failed 0",
                 "bounced 0 (0.0%)", "complaints 0 (0.0%)", "note: started by pat"):
        assert line in status.splitlines()

    assert "give --reason" in steward(env, "broadcast", "pause", "winter news", "--tenant",
                                      "acme", ok=False).stderr
    paused = steward(env, "broadcast", "pause", "winter news", "--tenant", "acme", "--reason",
                     "typo in the subject")
    assert paused.stdout.strip() == "campaign 'winter news': paused, 0 queued message(s) held back"
    status = steward(env, "broadcast", "status", "winter news", "--tenant", "acme").stdout
    assert "[paused]" in status and "note: paused by pat: typo in the subject" in status
    resumed = steward(env, "broadcast", "resume", "winter news", "--tenant", "acme")
    assert "running, 0 held message(s) due again" in resumed.stdout

    cancelled = steward(env, "broadcast", "cancel", "winter news", "--tenant", "acme",
                        "--reason", "wrong list")
    assert cancelled.stdout.strip() == (
        "campaign 'winter news': cancelled, 3 recipient(s) will not get it")
    (campaign,) = rows(db, schema.broadcasts)
    assert (campaign["status"], campaign["note"]) == (
        "cancelled", "campaign cancelled by pat: wrong list")
    recipients = rows(db, schema.broadcast_recipients)
    assert len(recipients) == 5 and {r["status"] for r in recipients} == {"skipped"}
    assert sum(r["reason"] == "campaign cancelled by pat: wrong list" for r in recipients) == 3
    (listed,) = table(steward(env, "broadcast", "list", "--tenant", "acme").stdout)
    assert (listed["status"], listed["audience"], listed["remaining"]) == ("cancelled", "5", "0")
    assert "cannot resume" in steward(env, "broadcast", "resume", "winter news", "--tenant",
                                      "acme", ok=False).stderr


def test_one_tenant_never_sees_another_tenants_campaign(db: Database, env: dict[str, str]):
    steward(env, *CREATE, "--text", "Hello", "--tag", "newsletter")
    assert steward(env, "broadcast", "list", "--tenant", "other").stdout.strip() == (
        "id\tname\tstatus\taudience\tsent\tremaining\tnote\nother: no campaigns")
    for verb in ("status", "show", "approve"):
        missing = steward(env, "broadcast", verb, "winter news", "--tenant", "other", ok=False)
        assert "no campaign 'winter news'" in missing.stderr
    assert rows(db, schema.broadcasts, "other") == []
    assert [c["status"] for c in rows(db, schema.broadcasts)] == ["draft"]
