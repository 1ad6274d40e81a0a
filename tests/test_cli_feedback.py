"""`steward feedback list|show` and `steward case list|show|assign|close` on both databases, after
real cycles of the feedback engine and a client's negative answer arriving through ingest: the
orders' feedback with skip reasons and scores, one order's story, the service-recovery case with
its task and alert, its owner changed and its closing (which resolves the alert in the closer's
name); one error line for a wrong filter, an unknown id, a missing resolution or a second close."""

from __future__ import annotations

import os
from datetime import UTC
from pathlib import Path

import pytest

from resources.database import Database
from resources.store import schema
from tests.cli import steward
from tests.helpers import clock_at, rows
from tests.test_cadence_deals import Cycles, local
from tests.test_cadence_feedback import acme, feedback_of, reply  # noqa: F401 (fixture)


@pytest.fixture
def env(acme: Database) -> dict[str, str]:  # noqa: F811
    return {**os.environ, "STEWARD_DATABASE_URL": acme.resolved_url(), "STEWARD_ACTOR": "kenny"}


def test_feedback_and_cases_from_the_command_line(acme: Database, env, tmp_path: Path  # noqa: F811
                                                  ) -> None:
    cycles = Cycles(acme, tmp_path)
    cycles.at(local(2026, 11, 17, 13).astimezone(UTC))
    reply(acme, tmp_path, cycles, "ORD-1001", "Late and sloppy. 1 out of 5.",
          local(2026, 11, 17, 15))
    cycles.at(local(2026, 11, 17, 17).astimezone(UTC))
    ann = feedback_of(acme)["ORD-1001"]
    with clock_at(local(2026, 11, 17, 18).astimezone(UTC)):
        listed = steward(env, "feedback", "list", "--tenant", "acme").stdout
        lines = {line.split("\t")[1]: line.split("\t") for line in listed.splitlines()}
        assert lines["order"][:4] == ["id", "order", "contact", "status"]
        assert lines["ORD-1001"][3] == "answered" and lines["ORD-1001"][7:11] == [
            "negative", "-1.00", "1/5", str(ann["case_id"])]
        assert lines["ORD-1005"][3] == "skipped"
        assert lines["ORD-1005"][11] == "dee@client.example is suppressed (unsubscribe)"
        negative = steward(env, "feedback", "list", "--tenant", "acme", "--sentiment",
                           "negative").stdout.splitlines()
        assert [line.split("\t")[1] for line in negative[1:]] == ["ORD-1001"]

        shown = steward(env, "feedback", "show", str(ann["id"]), "--tenant", "acme").stdout
        assert "order: ORD-1001" in shown and "status: answered" in shown
        assert "request planned 2026-11-17T18:00Z: sent" in shown
        assert "request sent 2026-11-17T18:05Z as <" in shown
        assert "answer: negative at 2026-11-17T20:00Z, score -1.00 from the rating 1/5" in shown
        assert "evidence: 1 out of 5." in shown

        case_id = ann["case_id"]
        cases = steward(env, "case", "list", "--tenant", "acme", "--status", "open").stdout
        (line,) = [c.split("\t") for c in cases.splitlines() if c.startswith(f"{case_id}\t")]
        assert line[1:7] == ["open", "feedback", "ORD-1001", "Ann Co", "ann@client.example",
                             "owner@acme.example"]
        shown = steward(env, "case", "show", str(case_id), "--tenant", "acme").stdout
        assert "title: Unhappy with ORD-1001" in shown
        task = shown.split("task: ")[1]
        assert "Service recovery: call ann@client.example about ORD-1001" in task
        assert "(open)" in shown.split("alert: ")[1]

        assigned = steward(env, "case", "assign", str(case_id), "pat@acme.example", "--tenant",
                           "acme").stdout
        assert assigned.strip() == f"case {case_id}: owned by pat@acme.example"
        steward(env, "case", "close", str(case_id), "--tenant", "acme", ok=False)
        closed = steward(env, "case", "close", str(case_id), "--tenant", "acme", "--resolution",
                         "called Ann, redid the comparables, refunded the rush fee").stdout
        assert closed.strip() == f"case {case_id}: closed by kenny"
        again = steward(env, "case", "close", str(case_id), "--tenant", "acme", "--resolution",
                        "twice", ok=False)
        assert f"case {case_id} is already closed (by kenny)" in again.stderr
        shown = steward(env, "case", "show", str(case_id), "--tenant", "acme").stdout
        assert "closed: 2026-11-17T23:" in shown and "by kenny: called Ann" in shown
        assert "owner: pat@acme.example" in shown

    (case,) = [c for c in rows(acme, schema.cases) if c["id"] == case_id]
    assert (case["status"], case["closed_by"]) == ("closed", "kenny")
    (alert,) = [a for a in rows(acme, schema.alerts) if a["rule"] == "service_recovery"]
    assert (alert["status"], alert["resolved_by"]) == ("resolved", "kenny")
    events = {e["event_type"] for e in rows(acme, schema.warehouse_events)}
    assert {"feedback_answered", "case_opened", "case_closed"} <= events


def test_bad_input_is_one_error_line(acme: Database, env) -> None:  # noqa: F811
    missing = steward(env, "feedback", "show", "999", "--tenant", "acme", ok=False)
    assert "no feedback 999 for tenant acme" in missing.stderr
    wrong = steward(env, "feedback", "list", "--tenant", "acme", "--status", "lost", ok=False)
    assert "unknown status 'lost'" in wrong.stderr
    steward(env, "case", "list", "--tenant", "acme", "--status", "pending", ok=False)
    gone = steward(env, "case", "show", "999", "--tenant", "acme", ok=False)
    assert "no case 999 for tenant acme" in gone.stderr
    steward(env, "case", "close", "999", "--tenant", "acme", "--resolution", "x", ok=False)
    steward(env, "case", "assign", "1", " ", "--tenant", "acme", ok=False)
    listed = steward(env, "feedback", "list", "--tenant", "acme").stdout
    assert "acme: no feedback rows" in listed
