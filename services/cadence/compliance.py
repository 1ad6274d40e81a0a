"""The compliance engine: each tenant's recurring checks opened, validated, reminded and
escalated every hour (the rules are agent/compliance.py).

Per tenant and hour, on the tenant's local date: every active schedule opens its current
period's check for each entity its filter matches (a filter matching nobody is noted on the
schedule). Every open check is validated against its entity's profile: valid fields complete it
by themselves; otherwise what is missing or expired is kept on the check. A waiver that ran out
opens the check again. An open check with problems is enrolled in the `compliance_reminder`
cadence to the entity's contact (reminders every `reminder_every_days` business days, at most
`max_reminders`, the last one final); a check completed, waived or cancelled stops them, as do
the shared stop rules (a reply from the contact: a person reads what they sent; a bounce or an
opt-out). A check `escalate_after_days` past due is escalated once: `escalated_at` is set, which
makes it the policy's `compliance_due` evidence, and a `create_task` for the tenant's manager
is proposed through the gate, keyed per check.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from typing import Any

from agent.actions import Action
from agent.cadence import Cadence, Step
from agent.calendar import BusinessCalendar
from agent.compliance import ScheduleSpec, check_day, current_due, matches, problems, standing
from resources.database import TenantScope
from resources.database.clock import aware
from resources.store import cadences as enrollments
from resources.store import compliance as store
from services.cadence.advance import Advanced, advance, calendar_of
from services.cadence.stops import shared_stops

REMINDER = "compliance_reminder"
ESCALATION = "compliance_escalation"
KEYS = Cadence(REMINDER, "compliance_check", ())  # the step keys, whatever the spacing
ESCALATION_CADENCE = Cadence(ESCALATION, "compliance_check",
                             (Step(0, "compliance_escalation", "final"),), kind="create_task")


def reminder_cadence(spec: ScheduleSpec) -> Cadence:
    steps = []
    for n in range(1, spec.max_reminders + 1):
        last = n == spec.max_reminders and n > 1
        steps.append(Step(0 if n == 1 else spec.reminder_every_days,
                          "compliance_reminder_final" if last else "compliance_reminder",
                          "final" if last else "normal"))
    return Cadence(REMINDER, "compliance_check", tuple(steps))


def compliance_engine(scope: TenantScope, hour: datetime) -> Advanced:
    today = calendar_of(scope).local_date(hour)
    counts: Counter = Counter()
    every = store.schedules(scope, active=False)
    if not every:  # most tenants until they set compliance up: one statement an hour
        return Advanced()
    active = {s["id"]: s for s in every if s["active"]}
    entities = entities_of(scope, active.values())
    _open_checks(scope, active, entities, today, hour, counts)
    checks = _settle(scope, active, entities, today, hour, counts)
    _enroll(scope, checks, active, entities, hour)
    done = _remind(scope, checks, active, entities, hour)
    escalated = _escalate(scope, checks, active, entities, hour)
    done.actions += escalated.actions
    done.counts.update({f"escalation_{k}": v for k, v in escalated.counts.items()})
    done.counts.update(counts)
    return done


def entities_of(scope: TenantScope, schedules) -> dict[tuple[str, int], dict[str, Any]]:
    """Every entity of the kinds the schedules target, by (kind, id)."""
    kinds = {s["spec"].target for s in schedules}
    return {(kind, e["id"]): e for kind in sorted(kinds) for e in store.targets(scope, kind)}


def current_period(schedule: dict[str, Any], entities: dict[tuple[str, int], dict[str, Any]],
                   calendar: BusinessCalendar, today: date) -> tuple[date | None, list[dict]]:
    """The due date of the schedule's period a check is open for today (None: none yet) and
    the entities its filter picks."""
    spec: ScheduleSpec = schedule["spec"]
    due = current_due(spec, today, calendar.local_date(aware(schedule["created_at"])))
    return due, [e for (kind, _id), e in entities.items()
                 if kind == spec.target and matches(e, spec.filter)]


def _open_checks(scope: TenantScope, active: dict[int, dict], entities: dict, today, hour,
                 counts: Counter) -> None:
    calendar, rows, notes = calendar_of(scope), [], {}
    for schedule in active.values():
        spec: ScheduleSpec = schedule["spec"]
        due, chosen = current_period(schedule, entities, calendar, today)
        note = None if chosen else f"the filter {spec.filter} matches no {spec.target}"
        if note != schedule["note"]:
            notes[schedule["id"]] = note
        if due is None:
            continue
        rows += [{"schedule_id": schedule["id"], "entity_type": spec.target,
                  "entity_id": e["id"], "due_on": due, "status": "open", "created_at": hour,
                  "updated_at": hour} for e in chosen]
    counts["checks_opened"] += store.add_checks(scope, rows)
    store.note_schedules(scope, notes, hour)


def _settle(scope: TenantScope, active: dict[int, dict], entities: dict, today, hour,
            counts: Counter) -> dict[int, dict[str, Any]]:
    """Validate every live check; returns the ones still open, by id, with their problems."""
    still, changes = {}, []
    for check in store.live_checks(scope):
        schedule = active.get(check["schedule_id"])
        entity = entities.get((check["entity_type"], check["entity_id"]))
        if schedule is None or entity is None:
            why = "its schedule was removed" if schedule is None else \
                f"the {check['entity_type']} is gone"
            changes.append({"id": check["id"], "status": "cancelled", "note": why})
            counts["checks_cancelled"] += 1
            continue
        spec: ScheduleSpec = schedule["spec"]
        now = standing(check, spec, today)
        if now.state == "waived":
            continue
        values: dict[str, Any] = {}
        if now.state == "reopen":
            values.update(status="open", waived_until=None, note=now.why)
            counts["checks_reopened"] += 1
            now = standing({**check, **values}, spec, today)
        found = problems(entity.get("profile"), spec.fields, check_day(check["due_on"], today))
        if not found:
            values.update(status="complete", completed_at=hour, completed_by="steward",
                          problems=[], checked_at=hour,
                          note="every required field is on the profile and current: "
                               + ", ".join(f.title for f in spec.fields))
            counts["checks_completed"] += 1
        elif found != (check["problems"] or []):
            values.update(problems=found, checked_at=hour)
        if values:
            changes.append({"id": check["id"], **values})
        if found:
            still[check["id"]] = {**check, **values, "problems": found, "standing": now.state,
                                  "late": now.why}
    store.update_checks(scope, changes, hour)
    return still


def _enroll(scope: TenantScope, checks: dict[int, dict], active: dict[int, dict],
            entities: dict, hour: datetime) -> None:
    wanted = [c for c in checks.values() if active[c["schedule_id"]]["spec"].max_reminders]
    latest = enrollments.latest_rounds(scope, REMINDER, [c["id"] for c in wanted])
    rows = []
    for check in wanted:
        entity = entities[(check["entity_type"], check["entity_id"])]
        if check["id"] in latest:
            continue
        rows.append({"cadence": REMINDER, "entity_type": "compliance_check",
                     "entity_id": check["id"], "round": 1, "contact_id": entity["contact_id"],
                     "address": entity["email"], "started_at": hour})
    enrollments.enroll(scope, rows)


def _remind(scope: TenantScope, checks: dict[int, dict], active: dict[int, dict],
            entities: dict, hour: datetime) -> Advanced:
    rows = enrollments.open_enrollments(scope, REMINDER)
    if not rows:
        return Advanced()
    known = _known(scope, rows, checks)
    stops = {**shared_stops(scope, rows), **_check_stops(rows, known, active)}
    return advance(
        scope,
        lambda row: _reminder_cadence_of(row, known, active),
        rows, stops, {}, hour,
        lambda row, step: _reminder(known[row["entity_id"]], active, entities, row, step))


def _reminder_cadence_of(row: dict, known: dict[int, dict], active: dict[int, dict]) -> Cadence:
    """The reminder cadence of the check's schedule (a removed one's: none, it is stopped)."""
    schedule = active.get((known.get(row["entity_id"]) or {}).get("schedule_id"))
    return reminder_cadence(schedule["spec"]) if schedule else KEYS


def _escalate(scope: TenantScope, checks: dict[int, dict], active: dict[int, dict],
              entities: dict, hour: datetime) -> Advanced:
    due = [c for c in checks.values() if c["standing"] == "escalate" and not c["escalated_at"]]
    store.update_checks(scope, [{"id": c["id"], "escalated_at": hour} for c in due], hour)
    enrollments.enroll(scope, [
        {"cadence": ESCALATION, "entity_type": "compliance_check", "entity_id": c["id"],
         "round": 1, "contact_id": None, "address": None, "started_at": hour} for c in due])
    rows = enrollments.open_enrollments(scope, ESCALATION)
    if not rows:
        return Advanced()
    known = _known(scope, rows, checks)
    return advance(
        scope, lambda _row: ESCALATION_CADENCE, rows, _check_stops(rows, known, active), {}, hour,
        lambda row, _step: _task(scope, known[row["entity_id"]], active, entities, row))


def _known(scope: TenantScope, rows: list[dict], checks: dict[int, dict]) -> dict[int, dict]:
    """The enrollments' checks: the hour's open ones, the others (settled since) as stored."""
    return {**store.by_ids(scope, [r["entity_id"] for r in rows if r["entity_id"] not in checks]),
            **checks}


def compliance_stops(scope: TenantScope, rows: list[dict[str, Any]]) -> dict[int, str]:
    """The checks' own stop rules for these enrollments (dispatch asks again before sending)."""
    known = store.by_ids(scope, sorted({r["entity_id"] for r in rows}))
    return _check_stops(rows, known, {s["id"]: s for s in store.schedules(scope)})


def _check_stops(rows: list[dict[str, Any]], known: dict[int, dict],
                 active: dict[int, dict]) -> dict[int, str]:
    found = {}
    for row in rows:
        check = known.get(row["entity_id"])
        if check is None:
            found[row["id"]] = "the compliance check is gone"
        elif check["status"] != "open":
            found[row["id"]] = f"compliance check {check['id']} is {check['status']}"
        elif check["schedule_id"] not in active:
            found[row["id"]] = "its compliance schedule was removed"
    return found


def _reminder(check: dict, active: dict, entities: dict, row: dict, step: int) -> Action:
    spec: ScheduleSpec = active[check["schedule_id"]]["spec"]
    entity = entities.get((check["entity_type"], check["entity_id"]), {})
    cadence = reminder_cadence(spec)
    found = check["problems"] or []
    return Action(
        kind="follow_up",
        target=row["address"],
        payload={
            "template": cadence.steps[step - 1].template,
            "vars": {"first_name": entity.get("first_name") or "there",
                     "entity_name": entity.get("name") or "your account",
                     "check_name": spec.name, "due_on": f"{check['due_on']:%B} "
                                                        f"{check['due_on'].day}",
                     "problems": found},
            "contact_id": row["contact_id"],
            "compliance_id": check["id"],
        },
        reason=f"{spec.name} for {entity.get('name') or '-'} due {check['due_on']}: "
               f"{'; '.join(found)} (reminder {step} of {cadence.maximum})",
        priority=cadence.steps[step - 1].priority,
        idempotency_key=KEYS.key(row["entity_id"], step, row["round"]),
    )


def _task(scope: TenantScope, check: dict, active: dict, entities: dict, row: dict) -> Action:
    spec: ScheduleSpec = active[check["schedule_id"]]["spec"]
    entity = entities.get((check["entity_type"], check["entity_id"]), {})
    why = (f"{spec.name} for {entity.get('name') or '-'} was due {check['due_on']}, "
           f"{check.get('late') or 'overdue'}: {'; '.join(check['problems'] or [])}")
    return Action(
        kind="create_task",
        target=scope.tenant.settings.alert_email,
        payload={"basis": "compliance_due", "compliance_id": check["id"],
                 "title": f"Compliance overdue: {entity.get('name') or '-'} ({spec.name})",
                 "assignee": scope.tenant.settings.alert_email or "the tenant's manager",
                 "problems": check["problems"] or []},
        reason=why[:500],
        priority=75,
        idempotency_key=ESCALATION_CADENCE.key(row["entity_id"], 1, row["round"]),
    )
