"""The `compliance_schedules` and `compliance_checks` tables, and the entities a schedule
targets with the profile its checks verify (services/cadence/compliance.py decides what to
write; agent/compliance.py holds the rules)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from agent.compliance import CLOSED, ScheduleSpec
from resources.database import TenantScope
from resources.store.schema import accounts, compliance_checks, compliance_schedules, contacts


class ComplianceError(ValueError):
    """A schedule or a check cannot be changed as asked; the message says why."""


def add_schedule(scope: TenantScope, spec: ScheduleSpec, by: str, now: datetime) -> int:
    taken = scope.execute(scope.select(compliance_schedules.c.id, compliance_schedules.c.active)
                          .where(compliance_schedules.c.name == spec.name)).first()
    if taken is not None:
        state = "exists" if taken.active else "was removed (its checks keep the name)"
        raise ComplianceError(f"a compliance schedule named {spec.name!r} {state}: choose "
                              "another name")
    scope.insert(compliance_schedules, {
        "name": spec.name, "spec": spec.model_dump(mode="json"), "created_by": by,
        "created_at": now, "updated_at": now})
    return int(scope.scalar(scope.select(compliance_schedules.c.id)
                            .where(compliance_schedules.c.name == spec.name)))


def schedules(scope: TenantScope, active: bool = True) -> list[dict[str, Any]]:
    """Schedules (the active ones, unless `active` is False: all), each with its `spec` read."""
    query = scope.select(compliance_schedules).order_by(compliance_schedules.c.name)
    if active:
        query = query.where(compliance_schedules.c.active.is_(True))
    found = []
    for row in scope.execute(query).mappings():
        found.append({**row, "spec": ScheduleSpec.model_validate(row["spec"])})
    return found


def remove_schedule(scope: TenantScope, name: str, by: str, now: datetime) -> int:
    """Deactivate the schedule and cancel its open checks (their history stays); returns how
    many checks were cancelled."""
    row = scope.execute(scope.select(compliance_schedules.c.id).where(
        compliance_schedules.c.name == name, compliance_schedules.c.active.is_(True))).first()
    if row is None:
        raise ComplianceError(f"no active compliance schedule named {name!r} (see `steward "
                              "compliance schedule list`)")
    scope.execute(sa.update(compliance_schedules).where(compliance_schedules.c.id == row.id)
                  .values(active=False, removed_at=now, removed_by=by, updated_at=now))
    result = scope.execute(
        sa.update(compliance_checks)
        .where(compliance_checks.c.schedule_id == row.id,
               compliance_checks.c.status.not_in(("complete", "cancelled")))
        .values(status="cancelled", note=f"schedule {name!r} removed by {by}", updated_at=now))
    return result.rowcount


def note_schedules(scope: TenantScope, notes: dict[int, str | None], now: datetime) -> None:
    """What the hour found about each schedule (None clears an earlier note)."""
    scope.update_rows(compliance_schedules,
                      [{"id": i, "note": n, "updated_at": now} for i, n in notes.items()])


def targets(scope: TenantScope, target: str) -> list[dict[str, Any]]:
    """Every entity of the kind with its profile, name, the columns a filter may name, and the
    address a reminder goes to: a contact's own; for an account its profile's
    `compliance_email`, else its first contact with an address."""
    if target == "contact":
        rows = scope.execute(scope.select(
            contacts.c.id, contacts.c.email, contacts.c.first_name, contacts.c.full_name,
            contacts.c.title, contacts.c.company, contacts.c.source, contacts.c.profile,
            accounts.c.name.label("account"))
            .select_from(contacts).outerjoin(accounts, accounts.c.id == contacts.c.account_id)
            .order_by(contacts.c.id)).mappings()
        return [{**r, "name": r["full_name"] or r["email"] or f"contact {r['id']}",
                 "email_domain": (r["email"] or "").rpartition("@")[2].lower(),
                 "contact_id": r["id"]} for r in rows]
    first = (sa.select(sa.func.min(contacts.c.id)).where(
        contacts.c.account_id == accounts.c.id, contacts.c.email.is_not(None))
        .correlate(accounts).scalar_subquery())
    rows = scope.execute(scope.select(
        accounts.c.id, accounts.c.name, accounts.c.industry, accounts.c.billing_type,
        accounts.c.active, accounts.c.terms, accounts.c.profile,
        contacts.c.id.label("contact_id"), contacts.c.email, contacts.c.first_name)
        .select_from(accounts).outerjoin(contacts, contacts.c.id == first)
        .order_by(accounts.c.id)).mappings()
    found = []
    for r in rows:
        row = dict(r)
        chosen = (row["profile"] or {}).get("compliance_email")
        if isinstance(chosen, str) and chosen.strip():
            row.update(email=chosen.strip(), contact_id=None, first_name=None)
        found.append(row)
    return found


def add_checks(scope: TenantScope, rows: list[dict[str, Any]]) -> int:
    return scope.insert(compliance_checks, rows, skip_conflicts_on=(
        "tenant_id", "schedule_id", "entity_type", "entity_id", "due_on"))


def live_checks(scope: TenantScope) -> list[dict[str, Any]]:
    """Checks still to settle (open, or waived: a waiver runs out), oldest due first."""
    return [dict(r) for r in scope.execute(
        scope.select(compliance_checks)
        .where(compliance_checks.c.status.in_(("open", "waived")))
        .order_by(compliance_checks.c.due_on, compliance_checks.c.id)).mappings()]


def by_ids(scope: TenantScope, ids: list[int]) -> dict[int, dict[str, Any]]:
    if not ids:
        return {}
    rows = scope.execute(scope.select(compliance_checks)
                         .where(compliance_checks.c.id.in_(ids))).mappings()
    return {r["id"]: dict(r) for r in rows}


def update_checks(scope: TenantScope, rows: list[dict[str, Any]], now: datetime) -> None:
    """Each row's values (with its `id`) on its check, batched."""
    scope.update_rows(compliance_checks, [{**row, "updated_at": now} for row in rows])


def escalated_ids(scope: TenantScope) -> frozenset[int]:
    """Open checks escalated to the manager: the policy's `compliance_due` evidence."""
    return frozenset(scope.execute(scope.select(compliance_checks.c.id).where(
        compliance_checks.c.status == "open",
        compliance_checks.c.escalated_at.is_not(None))).scalars())


def listing(scope: TenantScope, due_before: date | None, overdue_on: date | None,
            limit: int) -> list[dict[str, Any]]:
    """Checks with their schedule's name, the most urgent first: still open ones due before
    `due_before`, or past due on `overdue_on`; neither: every check."""
    query = (
        scope.select(compliance_checks, compliance_schedules.c.name.label("schedule"))
        .select_from(compliance_checks)
        .join(compliance_schedules,
              compliance_schedules.c.id == compliance_checks.c.schedule_id)
        .order_by(compliance_checks.c.status.in_(CLOSED), compliance_checks.c.due_on,
                  compliance_checks.c.id)
        .limit(limit)
    )
    if due_before is not None:
        query = query.where(compliance_checks.c.status == "open",
                            compliance_checks.c.due_on <= due_before)
    if overdue_on is not None:
        query = query.where(compliance_checks.c.status == "open",
                            compliance_checks.c.due_on < overdue_on)
    return [dict(r) for r in scope.execute(query).mappings()]


def entity_names(scope: TenantScope, checks: list[dict[str, Any]]) -> dict[tuple[str, int], str]:
    """(entity_type, entity_id) -> the account's name or the contact's name or address."""
    names: dict[tuple[str, int], str] = {}
    account_ids = [c["entity_id"] for c in checks if c["entity_type"] == "account"]
    contact_ids = [c["entity_id"] for c in checks if c["entity_type"] == "contact"]
    if account_ids:
        for r in scope.execute(scope.select(accounts.c.id, accounts.c.name)
                               .where(accounts.c.id.in_(account_ids))):
            names[("account", r.id)] = r.name
    if contact_ids:
        for r in scope.execute(scope.select(contacts.c.id, contacts.c.full_name, contacts.c.email)
                               .where(contacts.c.id.in_(contact_ids))):
            names[("contact", r.id)] = r.full_name or r.email or f"contact {r.id}"
    return names


def active_checks(scope: TenantScope) -> list[dict[str, Any]]:
    """Every check of the active schedules, oldest due first."""
    return [dict(r) for r in scope.execute(
        scope.select(compliance_checks)
        .select_from(compliance_checks)
        .join(compliance_schedules,
              compliance_schedules.c.id == compliance_checks.c.schedule_id)
        .where(compliance_schedules.c.active.is_(True))
        .order_by(compliance_checks.c.due_on, compliance_checks.c.id)).mappings()]
