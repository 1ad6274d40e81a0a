"""`steward compliance` on both databases: a schedule refused with one line when it could never
check anyone or names what does not exist; a check opened by the hour's engine, read with what
it misses, completed by the fields a person records, waived with a reason, and cancelled with
its schedule; one tenant never sees another's checks."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from resources.database import Database
from resources.store import schema
from resources.store.tenants import add_tenant
from services.cadence.compliance import compliance_engine
from tests.cli import steward
from tests.helpers import NOW, clock_at, rows


@pytest.fixture(autouse=True)
def clock():
    with clock_at(NOW):  # Tuesday 24 November 2026
        yield


@pytest.fixture
def env(db: Database, steward_env: Path) -> dict[str, str]:
    for slug in ("acme", "other"):
        add_tenant(db, slug)
        with db.for_tenant(slug) as scope:
            scope.insert(schema.accounts, [{"name": "Brook Bank", "industry": "Lending"},
                                           {"name": "Dune Insurance", "industry": "Insurance"}])
    return {**os.environ, "STEWARD_DATABASE_URL": db.resolved_url(), "STEWARD_ACTOR": "pat"}


def hour(db: Database, slug: str = "acme") -> None:
    with db.for_tenant(slug) as scope:
        compliance_engine(scope, NOW)


def table(text: str) -> list[dict[str, str]]:
    header, *lines = [line.split("\t") for line in text.strip().splitlines()]
    return [dict(zip(header, line, strict=True)) for line in lines]


ADD = ("compliance", "schedule", "add", "vendor check", "--tenant", "acme")


@pytest.mark.parametrize(("options", "error"), [
    (["--frequency", "weekly", "--first-due", "2026-11-30"], "invalid schedule: frequency"),
    (["--frequency", "quarterly", "--first-due", "soon"], "--first-due takes a date"),
    (["--frequency", "quarterly", "--first-due", "2026-11-30", "--filter", "industry=mining"],
     "matches nobody (none of its 2 accounts)"),
    (["--frequency", "quarterly", "--first-due", "2026-11-30", "--filter", "colour=red"],
     "cannot name 'colour'"),
    (["--frequency", "quarterly", "--first-due", "2026-11-30", "--require", "licence"],
     "unknown field 'licence'"),
    (["--frequency", "quarterly", "--first-due", "2026-11-30", "--field", "bond:signature"],
     "kind"),
])
def test_a_schedule_that_cannot_work_is_refused_with_one_line(env, options, error):
    ran = steward(env, *ADD, *options, ok=False)
    assert ran.stdout == ""
    assert error in ran.stderr and len(ran.stderr.strip().splitlines()) == 1


def test_a_check_is_opened_read_completed_by_its_fields_and_cancelled_with_its_schedule(
    db: Database, env: dict[str, str]
) -> None:
    made = steward(env, *ADD, "--frequency", "quarterly", "--first-due", "2026-11-30",
                   "--filter", "industry=lending", "--require", "w9_on_file",
                   "--require", "license_expiry", "--field", "bond_number:text:surety bond")
    assert made.returncode == 0, made.stderr
    assert "quarterly from 2026-11-30, accounts, requires w9_on_file, license_expiry, " \
        "bond_number" in made.stdout
    again = steward(env, *ADD, "--frequency", "monthly", "--first-due", "2026-11-30", ok=False)
    assert "named 'vendor check' exists" in again.stderr
    (listed,) = table(steward(env, "compliance", "schedule", "list", "--tenant", "acme").stdout)
    assert (listed["frequency"], listed["filter"]) == ("quarterly", "{'industry': 'lending'}")

    hour(db)
    (check,) = table(steward(env, "compliance", "checks", "--tenant", "acme", "--due").stdout)
    assert check["entity"] == "account Brook Bank" and check["due"] == "2026-11-30"
    assert check["problems"] == "W-9 on file missing; license expiry missing; surety bond missing"
    assert "no compliance checks overdue" in steward(
        env, "compliance", "checks", "--tenant", "acme", "--overdue").stdout
    assert "no compliance checks" in steward(env, "compliance", "checks", "--tenant",
                                             "other").stdout

    recorded = steward(env, "compliance", "profile", "--tenant", "acme", "--account",
                       "Brook Bank", "w9_on_file=yes", "license_expiry=2027-05-01",
                       "bond_number=SB-88")
    assert recorded.stdout.strip() == (
        "Brook Bank: bond_number=SB-88, license_expiry=2027-05-01, w9_on_file=yes")
    hour(db)
    (done,) = rows(db, schema.compliance_checks)
    assert (done["status"], done["completed_by"]) == ("complete", "steward")
    refused = steward(env, "compliance", "complete", str(done["id"]), "--tenant", "acme",
                      "--reason", "seen", ok=False)
    assert f"check {done['id']} is complete: nothing to complete" in refused.stderr
    elsewhere = steward(env, "compliance", "waive", str(done["id"]), "--tenant", "other",
                        "--reason", "x", ok=False)
    assert f"no compliance check {done['id']}" in elsewhere.stderr

    removed = steward(env, "compliance", "schedule", "remove", "vendor check", "--tenant",
                      "acme")
    assert removed.stdout.strip() == "schedule 'vendor check' removed; 0 open check(s) cancelled"
    assert "no compliance schedules" in steward(
        env, "compliance", "schedule", "list", "--tenant", "acme").stdout


def test_a_waiver_needs_a_reason_and_a_date_still_to_come(db: Database, env: dict[str, str]):
    steward(env, *ADD, "--frequency", "monthly", "--first-due", "2026-11-30", "--filter",
            "industry=lending")
    hour(db)
    (check,) = rows(db, schema.compliance_checks)
    ident = str(check["id"])
    assert "needs a reason" in steward(env, "compliance", "waive", ident, "--tenant",
                                       "acme", ok=False).stderr
    assert "already run out" in steward(env, "compliance", "waive", ident, "--tenant", "acme",
                                        "--reason", "x", "--until", "2026-11-01",
                                        ok=False).stderr
    waived = steward(env, "compliance", "waive", ident, "--tenant", "acme", "--reason",
                     "renewal filed", "--until", "2026-12-15")
    assert waived.stdout.strip() == f"check {ident}: waived by pat until 2026-12-15"
    (kept,) = rows(db, schema.compliance_checks)
    assert (kept["status"], kept["waived_by"], kept["note"]) == ("waived", "pat", "renewal filed")
    cancelled = steward(env, "compliance", "schedule", "remove", "vendor check", "--tenant",
                        "acme")
    assert "1 open check(s) cancelled" in cancelled.stdout
    assert rows(db, schema.compliance_checks)[0]["status"] == "cancelled"
