"""The compliance engine over six weeks of daily cycles (New York, around Presidents' Day and a
leap day), on both databases: a quarterly schedule anchored on 30 November falls due on 29
February 2028; its checks open fourteen days before; a valid profile completes its check at
once; missing fields are reminded every five business days, at most three times, the last one
final; a reply or the fields completed stop the reminders; a check past due a week is escalated
to a task for a person on the compliance_due basis; a waiver holds a check until it runs out;
an entity without an address is recorded, not mailed; a rerun sends nothing twice."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest

from agent.compliance import ScheduleSpec
from assets.compliance import compliance
from assets.partitions import TENANTS
from resources.database import Database
from resources.store import schema
from resources.store.contacts import set_profile
from resources.store.tenants import add_tenant, update_tenant
from services.compliance import create_schedule, waive_check
from tests.helpers import clock_at, rows
from tests.test_cadence_deals import NY, Cycles

START = datetime(2028, 2, 10, 9, tzinfo=NY)
VALID = {"license_number": "L-1", "license_expiry": "2029-01-01",
         "eo_insurance_expiry": "2029-01-01", "w9_on_file": True, "signed_agreement": True}


@pytest.fixture
def acme(db: Database, steward_env: Path) -> Database:
    add_tenant(db, "acme", timezone="America/New_York")
    update_tenant(db, "acme", settings_patch={
        "holidays": {"country": "US"}, "own_addresses": ["acme.example"],
        "alert_email": "manager@acme.example", "thresholds": {"engagement_days": 90}})
    known = (START - timedelta(days=1)).astimezone(UTC)
    accounts = [("Acme Lenders", "Lending", VALID, "ann"),
                ("Brook Bank", "Lending", {**VALID, "w9_on_file": False}, "bob"),
                ("Cedar Credit", "Lending", {**VALID, "license_number": ""}, "cy"),
                ("Dune Insurance", "Insurance", {}, "dee"),
                ("Elm Escrow", "Lending", {}, None),
                ("Fir Finance", "Lending", {**VALID, "signed_agreement": None}, "fay")]
    with db.for_tenant("acme") as scope:
        for name, industry, profile, person in accounts:
            scope.insert(schema.accounts, {"name": name, "industry": industry,
                                           "profile": profile})
            account_id = scope.scalar(scope.select(schema.accounts.c.id)
                                      .where(schema.accounts.c.name == name))
            if person:
                scope.insert(schema.contacts, {
                    "account_id": account_id, "email": f"{person}@client.example",
                    "first_name": person.title(), "created_at": known, "last_touch_at": known})
        create_schedule(scope, ScheduleSpec(
            name="quarterly vendor verification", frequency="quarterly",
            first_due=date(2027, 11, 30), filter={"industry": "lending"}),
            "cli:kim", START.astimezone(UTC))
    return db


def days(until: date):
    day = START
    while day.date() <= until:
        yield day.astimezone(UTC)
        day += timedelta(days=1)


def checks(db: Database) -> dict[str, dict]:
    names = {a["id"]: a["name"] for a in rows(db, schema.accounts)}
    return {names[c["entity_id"]]: c for c in rows(db, schema.compliance_checks)}


def reminders(db: Database, check_id: int) -> list[dict]:
    return sorted((r for r in rows(db, schema.outbox)
                   if r["idempotency_key"].startswith(f"compliance_reminder:compliance_check:"
                                                      f"{check_id}:")),
                  key=lambda r: r["idempotency_key"])


def local_day(value: datetime) -> str:
    return value.astimezone(NY).date().isoformat()


def test_six_weeks_of_compliance_cycles(acme: Database, tmp_path: Path) -> None:
    cycles = Cycles(acme, tmp_path)

    def before(day: date) -> None:
        with acme.for_tenant("acme") as scope:
            if day == date(2028, 2, 16):  # Cy answers the first reminder
                cy = scope.scalar(scope.select(schema.contacts.c.id)
                                  .where(schema.contacts.c.email == "cy@client.example"))
                scope.insert(schema.touches, {
                    "contact_id": cy, "occurred_at": datetime(2028, 2, 16, 8, tzinfo=NY),
                    "touch_type": "email_in", "by_whom": "contact:cy@client.example",
                    "source_key": "msg:cy-reply"})
            if day == date(2028, 2, 25):
                waive_check(scope, checks(acme)["Cedar Credit"]["id"], "cli:kim",
                            "licence renewal filed, copy promised", date(2028, 3, 20),
                            datetime(2028, 2, 25, 8, tzinfo=NY))
            if day == date(2028, 2, 18):  # Fay's signed agreement arrives after one reminder
                set_profile(scope, "account", "Fir Finance", {"signed_agreement": "2028-02-17"},
                            datetime(2028, 2, 18, 8, tzinfo=NY))
            if day == date(2028, 3, 10):
                set_profile(scope, "account", "Brook Bank", {"w9_on_file": "2028-03-09"},
                            datetime(2028, 3, 10, 8, tzinfo=NY))

    for hour in days(date(2028, 3, 24)):
        before(hour.astimezone(NY).date())
        cycles.at(hour)
        if hour.astimezone(NY).date() == date(2028, 2, 23):
            sent = len(rows(acme, schema.outbox))
            cycles.at(hour)  # the same hour again: it proposes what it did, and sends nothing
            assert len(rows(acme, schema.outbox)) == sent

    found = checks(acme)
    assert set(found) == {"Acme Lenders", "Brook Bank", "Cedar Credit", "Elm Escrow",
                          "Fir Finance"}
    assert {c["due_on"] for c in found.values()} == {date(2028, 2, 29)}
    # Opened with the window on 15 February; a valid profile completes at once.
    assert {local_day(c["created_at"]) for c in found.values()} == {"2028-02-15"}
    acme_lenders = found["Acme Lenders"]
    assert (acme_lenders["status"], acme_lenders["completed_by"]) == ("complete", "steward")
    assert local_day(acme_lenders["completed_at"]) == "2028-02-15"
    assert reminders(acme, acme_lenders["id"]) == []

    brook = found["Brook Bank"]
    sent = reminders(acme, brook["id"])
    # Every five business days (Presidents' Day, 21 February, is not one), at most three.
    assert [local_day(r["sent_at"]) for r in sent] == ["2028-02-15", "2028-02-23", "2028-03-01"]
    assert [r["payload"]["template"] for r in sent] == [
        "compliance_reminder", "compliance_reminder", "compliance_reminder_final"]
    assert "W-9 on file missing" in sent[0]["payload"]["text"]
    assert local_day(brook["escalated_at"]) == "2028-03-07"
    assert (brook["status"], local_day(brook["completed_at"])) == ("complete", "2028-03-10")

    tasks = {t["context"]["compliance_id"]: t for t in rows(acme, schema.tasks)
             if (t["context"] or {}).get("basis") == "compliance_due"}
    assert set(tasks) == {brook["id"], found["Elm Escrow"]["id"], found["Cedar Credit"]["id"]}
    assert tasks[brook["id"]]["title"] == "Compliance overdue: Brook Bank (quarterly vendor " \
        "verification)"
    assert "W-9 on file missing" in tasks[brook["id"]]["description"]

    cedar = found["Cedar Credit"]
    assert [local_day(r["sent_at"]) for r in reminders(acme, cedar["id"])] == ["2028-02-15"]
    # The waiver held it until 20 March; on the 21st it opened again, three weeks late.
    assert cedar["status"] == "open" and cedar["waived_by"] == "cli:kim"
    assert local_day(cedar["escalated_at"]) == "2028-03-21"

    fir = found["Fir Finance"]
    assert [local_day(r["sent_at"]) for r in reminders(acme, fir["id"])] == ["2028-02-15"]
    assert (fir["status"], local_day(fir["completed_at"])) == ("complete", "2028-02-18")
    (stopped,) = [e for e in rows(acme, schema.cadence_enrollments)
                  if e["cadence"] == "compliance_reminder" and e["entity_id"] == fir["id"]]
    assert stopped["end_reason"] == f"compliance check {fir['id']} is complete"

    elm = found["Elm Escrow"]
    assert reminders(acme, elm["id"]) == []
    (enrollment,) = [e for e in rows(acme, schema.cadence_enrollments)
                     if e["cadence"] == "compliance_reminder" and e["entity_id"] == elm["id"]]
    assert (enrollment["status"], enrollment["end_reason"]) == (
        "stopped", "no address to write to")
    assert elm["problems"] and "license number missing" in elm["problems"]

    # The asset the owner sees in the UI: Cedar and Elm are past their escalation, red.
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(TENANTS, ["acme"])
    with clock_at(datetime(2028, 3, 24, 10, 5, tzinfo=NY)):
        result = dg.materialize([compliance], instance=instance, partition_key="acme",
                                resources={"database": acme})
    assert result.success
    (mat,) = result.asset_materializations_for_node("compliance")
    assert (mat.metadata["checks_complete"].value, mat.metadata["checks_escalate"].value) == (3, 2)
    checked = {c.check_name: c for c in result.get_asset_check_evaluations()}
    overdue = checked["compliance_overdue"]
    assert not overdue.passed and overdue.severity == dg.AssetCheckSeverity.ERROR
    listed = overdue.metadata["checks"].value
    assert "Cedar Credit" in listed and "Elm Escrow" in listed and "Brook Bank" not in listed
    assert checked["compliance_coverage"].passed
    assert checked["compliance_coverage"].metadata["coverage"].value == 1.0
    assert checked["compliance_due_soon"].passed
    assert checked["tenants_failed"].passed
