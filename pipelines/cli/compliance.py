"""`steward compliance schedule add|list|remove`, `checks`, `complete`, `waive`, `profile`.

A schedule verifies a profile every month, quarter, half-year or year (agent/compliance.py);
the hourly cycle opens each period's checks, validates them, reminds the entity's contact and
escalates overdue ones to the tenant's manager. These commands are a person's side: create and
remove schedules, read where the checks stand, complete or waive one with a reason, and record
the fields a check verifies on an account's or a contact's profile. Who acted comes from
STEWARD_ACTOR.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pydantic
import typer

from agent.compliance import DEFAULT_FIELDS, FieldRule, ScheduleSpec, read_date, standing
from agent.validation import problems
from pipelines.cli.common import CliError, actor, out, pairs, ready_database, utc_minute
from resources.store import compliance as store
from resources.store import contacts as contact_store
from services import compliance as service

app = typer.Typer(no_args_is_help=True,
                  help="Compliance checks: schedules, checks, complete, waive, profile fields.")
schedule_app = typer.Typer(no_args_is_help=True, help="Compliance schedules: add, list, remove.")
app.add_typer(schedule_app, name="schedule")
KNOWN = {f.name: f for f in DEFAULT_FIELDS}
REASON = typer.Option("", "--reason", help="Why (required).")


@schedule_app.command("add")
def add(
    name: str = typer.Argument(..., metavar="NAME"),
    tenant: str = typer.Option(..., "--tenant"),
    frequency: str = typer.Option(..., "--frequency",
                                  help="monthly, quarterly, semiannual, annual"),
    first_due: str = typer.Option(..., "--first-due",
                                  help="YYYY-MM-DD: the first check's due date."),
    target: str = typer.Option("account", "--target", help="account or contact"),
    where: list[str] = typer.Option([], "--filter", help="COLUMN=VALUE or profile.KEY=VALUE "
                                    "(repeatable): only the entities that match."),
    require: list[str] = typer.Option([], "--require", help="A known field the check requires "
                                      f"(repeatable; default all: {', '.join(KNOWN)})."),
    field: list[str] = typer.Option([], "--field", help="NAME:KIND[:LABEL] a field of your own "
                                    "(KIND text, date or flag; repeatable)."),
    notify_days: int = typer.Option(14, "--notify-days", help="Days before due a check opens."),
    escalate_after: int = typer.Option(7, "--escalate-after", help="Days overdue before the "
                                       "manager gets a task."),
    max_reminders: int = typer.Option(3, "--max-reminders"),
) -> None:
    """Add a schedule; refused with the reason when it could never check anyone."""
    try:
        fields = [_known(n) for n in require] + [_own(f) for f in field]
        spec = ScheduleSpec(
            name=name, frequency=frequency, first_due=_date(first_due, "--first-due"),
            target=target, filter=_filter(pairs(where, "--filter")), notify_days=notify_days,
            escalate_after_days=escalate_after, max_reminders=max_reminders,
            **({"fields": fields} if fields else {}))
    except pydantic.ValidationError as exc:
        raise CliError(f"invalid schedule: {problems(exc)}") from None
    with ready_database().for_tenant(tenant) as scope:
        schedule_id = service.create_schedule(scope, spec, actor(), datetime.now(UTC))
    print(f"schedule {schedule_id} {name!r}: {frequency} from {spec.first_due}, {target}s, "
          f"requires {', '.join(f.name for f in spec.fields)}")


@schedule_app.command("list")
def list_schedules(
    tenant: str = typer.Option(..., "--tenant"),
    removed: bool = typer.Option(False, "--removed", help="Removed schedules too."),
) -> None:
    with ready_database().for_tenant(tenant) as scope:
        rows = store.schedules(scope, active=not removed)
    print("\t".join(("id", "name", "frequency", "first_due", "target", "filter", "requires",
                     "active", "note")))
    for r in rows:
        spec: ScheduleSpec = r["spec"]
        print("\t".join((str(r["id"]), r["name"], spec.frequency, str(spec.first_due),
                         spec.target, str(spec.filter or "-"),
                         ",".join(f.name for f in spec.fields), "yes" if r["active"] else "no",
                         r["note"] or "-")))
    if not rows:
        out.print(f"{tenant}: no compliance schedules", highlight=False)


@schedule_app.command("remove")
def remove(name: str = typer.Argument(..., metavar="NAME"),
           tenant: str = typer.Option(..., "--tenant")) -> None:
    """Deactivate the schedule; its open checks are cancelled, their history kept."""
    with ready_database().for_tenant(tenant) as scope:
        cancelled = store.remove_schedule(scope, name, actor(), datetime.now(UTC))
    print(f"schedule {name!r} removed; {cancelled} open check(s) cancelled")


@app.command("checks")
def checks(
    tenant: str = typer.Option(..., "--tenant"),
    due: bool = typer.Option(False, "--due", help="Open checks due within their window."),
    overdue: bool = typer.Option(False, "--overdue", help="Open checks past due."),
    limit: int = typer.Option(200, "--limit"),
) -> None:
    """The checks, the most urgent first, with where each stands and what is missing."""
    today = datetime.now(UTC).date()
    with ready_database().for_tenant(tenant) as scope:
        specs = {s["id"]: s["spec"] for s in store.schedules(scope, active=False)}
        rows = store.listing(scope, due_before=_window_end(specs, today) if due else None,
                             overdue_on=today if overdue else None, limit=limit)
        names = store.entity_names(scope, rows)
    print("\t".join(("id", "schedule", "entity", "due", "standing", "problems", "escalated",
                     "note")))
    for r in rows:
        entity = names.get((r["entity_type"], r["entity_id"]), r["entity_id"])
        now = standing(r, specs[r["schedule_id"]], today)
        print("\t".join((
            str(r["id"]), r["schedule"], f"{r['entity_type']} {entity}", str(r["due_on"]),
            now.why,
            "; ".join(r["problems"] or []) or "-", utc_minute(r["escalated_at"]),
            r["note"] or "-")))
    if not rows:
        out.print(f"{tenant}: no compliance checks{' due' if due else ''}"
                  f"{' overdue' if overdue else ''}", highlight=False)


@app.command("complete")
def complete(check_id: int = typer.Argument(..., metavar="ID"),
             tenant: str = typer.Option(..., "--tenant"), reason: str = REASON) -> None:
    """Complete a check by hand (the documents were seen)."""
    who = actor()
    with ready_database().for_tenant(tenant) as scope:
        service.complete_check(scope, check_id, who, reason, datetime.now(UTC))
    print(f"check {check_id}: complete by {who}")


@app.command("waive")
def waive(
    check_id: int = typer.Argument(..., metavar="ID"),
    tenant: str = typer.Option(..., "--tenant"),
    reason: str = REASON,
    until: str = typer.Option(None, "--until", help="YYYY-MM-DD; default: for good."),
) -> None:
    """Waive a check until a date; it opens again when the waiver runs out."""
    who, day = actor(), _date(until, "--until") if until else None
    with ready_database().for_tenant(tenant) as scope:
        service.waive_check(scope, check_id, who, reason, day, datetime.now(UTC))
    print(f"check {check_id}: waived by {who} until {day or 'revoked'}")


@app.command("profile")
def profile(
    values: list[str] = typer.Argument(..., metavar="FIELD=VALUE..."),
    tenant: str = typer.Option(..., "--tenant"),
    account: str = typer.Option(None, "--account", help="The account's name."),
    contact: str = typer.Option(None, "--contact", help="The contact's address."),
) -> None:
    """Record profile fields a check verifies (an empty value removes one); the next hour
    validates the open checks again."""
    if (account is None) == (contact is None):
        raise CliError("name one --account or one --contact")
    fields = pairs(values, "FIELD=VALUE")
    with ready_database().for_tenant(tenant) as scope:
        kept = contact_store.set_profile(scope, "account" if account else "contact",
                                         account or contact, fields, datetime.now(UTC))
    print(f"{account or contact}: " + ", ".join(f"{k}={v}" for k, v in sorted(kept.items())))


def _known(name: str) -> FieldRule:
    if name not in KNOWN:
        raise CliError(f"unknown field {name!r}: known fields are {', '.join(KNOWN)} "
                       "(declare your own with --field NAME:KIND)")
    return KNOWN[name]


def _own(text: str) -> FieldRule:
    name, _, rest = text.partition(":")
    kind, _, label = rest.partition(":")
    return FieldRule(name=name.strip(), kind=kind.strip() or "text", label=label.strip())


def _filter(values: dict[str, str]) -> dict[str, str | bool]:
    return {k: {"true": True, "false": False}.get(v.strip().lower(), v) for k, v in values.items()}


def _window_end(specs: dict[int, ScheduleSpec], today: date) -> date:
    return today + timedelta(days=max((s.notify_days for s in specs.values()), default=14))


def _date(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        found = read_date(value)
        if found is None:
            raise CliError(f"{option} takes a date YYYY-MM-DD, got {value!r}") from None
        return found
