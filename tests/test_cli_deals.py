"""`steward deal list|show|stage|pause|resume` on both databases, after real cycles of the deals
engine: stalled deals first, a deal's story step by step, a stage change that stops the running
follow-ups and is kept with its duration, the auto-follow-up switch, and one error line for a
wrong stage or deal."""

from __future__ import annotations

import os
from datetime import UTC, timedelta
from pathlib import Path

import pytest

from resources.database import Database
from resources.store import schema
from tests.cli import steward
from tests.helpers import clock_at, rows
from tests.test_cadence_deals import Cycles, acme, by_title, local  # noqa: F401 (fixture)


@pytest.fixture
def env(acme: Database) -> dict[str, str]:  # noqa: F811
    return {**os.environ, "STEWARD_DATABASE_URL": acme.resolved_url(), "STEWARD_ACTOR": "kenny"}


def test_list_show_stage_pause_resume(acme: Database, env, tmp_path: Path) -> None:  # noqa: F811
    cycles = Cycles(acme, tmp_path)
    cycles.at(local(2026, 10, 28, 9).astimezone(UTC))
    ann = by_title(acme)["Ann proposal"]
    with clock_at(local(2026, 10, 28, 10).astimezone(UTC)):
        listed = steward(env, "deal", "list", "--tenant", "acme", "--stalled").stdout
        lines = [line.split("\t") for line in listed.splitlines()]
        assert lines[0][:3] == ["id", "title", "stage"]
        assert {line[1] for line in lines[1:]} == {"Ann proposal", "Bob negotiation"}
        shown = steward(env, "deal", "show", str(ann["id"]), "--tenant", "acme").stdout
        assert "follow-up round 1: active since 2026-10-28T13:00Z, 1 step(s)" in shown
        assert "step 1 planned 2026-10-28T13:00Z: sent" in shown

        moved = steward(env, "deal", "stage", str(ann["id"]), "negotiation", "--tenant", "acme",
                        "--reason", "pricing agreed on the call").stdout
        assert moved.strip() == f"deal {ann['id']}: proposal -> negotiation"
        (change,) = rows(acme, schema.deal_stage_history)
        assert (change["by_whom"], change["reason"]) == ("kenny", "pricing agreed on the call")
        assert change["seconds_in_stage"] == int(timedelta(days=40, hours=3).total_seconds())

        paused = steward(env, "deal", "pause", str(ann["id"]), "--tenant", "acme").stdout
        assert paused.strip() == f"deal {ann['id']}: auto follow-up off"
        assert "auto follow-up: off" in steward(
            env, "deal", "show", str(ann["id"]), "--tenant", "acme").stdout
        resumed = steward(env, "deal", "resume", str(ann["id"]), "--tenant", "acme").stdout
        assert resumed.strip() == f"deal {ann['id']}: auto follow-up on"

        wrong = steward(env, "deal", "stage", str(ann["id"]), "closing", "--tenant", "acme",
                        ok=False)
        assert ("unknown stage 'closing': choose one of lead, negotiation, proposal, qualified, "
                "won, lost") in wrong.stderr
        missing = steward(env, "deal", "show", "999", "--tenant", "acme", ok=False)
        assert "no deal 999 for tenant acme" in missing.stderr

    # The stage change is activity: the next cycle stops the round it interrupted.
    cycles.at(local(2026, 10, 28, 13).astimezone(UTC))
    (round_one,) = [e for e in rows(acme, schema.cadence_enrollments)
                    if e["address"] == "ann@client.example"]
    assert round_one["status"] == "stopped"
    assert round_one["end_reason"].startswith("activity on the deal at 2026-10-28 14:00")


def test_the_cycle_report_names_each_engines_steps_with_a_reason() -> None:
    from pipelines.cli.cycle_report import engine_lines

    metrics = {"cadence_deals_proposed": 2, "cadence_deals_waiting": 5, "cadence_deals_ms": 40,
               "cadence_quotes_waiting": 1, "cadence_quotes_stopped": 0, "planned": 9}
    planned = [
        {"idempotency_key": "follow_up:x@y:engagement:never", "kind": "follow_up",
         "target": "x@y", "reason": "21 days past"},
        {"idempotency_key": "deal_follow_up:deal:7:1", "kind": "follow_up",
         "target": "ann@client.example", "reason": "deal 'Roof' (proposal) quiet since 2026-11-02"},
    ]
    assert engine_lines(metrics, planned) == [
        "deals: proposed 2, waiting 5; e.g. follow_up ann@client.example: deal 'Roof' (proposal) "
        "quiet since 2026-11-02",
        "quotes: waiting 1",
    ]
