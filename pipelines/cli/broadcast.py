"""`steward broadcast create|show|approve|start|pause|resume|cancel|status|list`.

A campaign is one message to a segment of a tenant's contacts, sent by the hourly cycle in
batches within the tenant's caps and send window (agent/broadcast.py). Bulk mail is never
automatic: these commands are a person's side. Create a draft (refused with one line when its
segment selects nobody, its template names what a recipient lacks or its time cannot be read),
approve it by name, start it (the audience is frozen), pause, resume or cancel it with a
reason, and read where it stands. Who acted comes from STEWARD_ACTOR.
"""

from __future__ import annotations

import shlex
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import typer

from agent.broadcast import Segment, Stats
from pipelines.cli.common import CliError, actor, out, ready_database, utc_minute
from resources.store import broadcasts as store
from services.broadcasts import campaigns

app = typer.Typer(no_args_is_help=True, help="Campaigns: create, approve, start, pause, resume, "
                                             "cancel, and where they stand.")
NAME = typer.Argument(..., metavar="NAME", help="The campaign's name (or id).")
TENANT = typer.Option(..., "--tenant")
REASON = typer.Option("", "--reason", help="Why (required).")
TEXT_LINES = 3  # of the message `show` prints


@app.command("create")
def create(
    name: str = typer.Argument(..., metavar="NAME"),
    tenant: str = TENANT,
    subject: str = typer.Option(..., "--subject"),
    text: str = typer.Option(None, "--text", help="The message as text (a template)."),
    text_file: Path = typer.Option(None, "--text-file", help="The text from a file."),
    html_file: Path = typer.Option(None, "--html-file", help="An HTML version (optional)."),
    tag: list[str] = typer.Option([], "--tag", help="A tag every recipient has (repeatable)."),
    account_type: list[str] = typer.Option([], "--account-type", help="The account's industry "
                                           "(repeatable: any of them)."),
    region: list[str] = typer.Option([], "--region", help="Profile region or US state "
                                     "(repeatable: any of them)."),
    last_order_after: str = typer.Option(None, "--last-order-after", help="YYYY-MM-DD"),
    last_order_before: str = typer.Option(None, "--last-order-before", help="YYYY-MM-DD"),
    engagement: list[str] = typer.Option([], "--engagement", help="compliant, due_soon, "
                                         "overdue or unreachable (repeatable)."),
    include_inactive: bool = typer.Option(False, "--include-inactive",
                                          help="Contacts of inactive accounts too."),
    at: str = typer.Option(None, "--at", help="'YYYY-MM-DD HH:MM' in the tenant's timezone: "
                           "not before then (default: as soon as it is started)."),
    batch_size: int = typer.Option(None, "--batch-size", help="Default: the tenant's setting."),
) -> None:
    """Create a draft campaign; a person approves it before it can start."""
    if (text is None) == (text_file is None):
        raise CliError("give --text or --text-file (one of them)")
    template = {"subject": subject, "text": text if text is not None else _read(text_file),
                **({"html": _read(html_file)} if html_file else {})}
    segment = {"tags": tag, "account_types": account_type, "regions": region,
               "engagement": engagement, "include_inactive_accounts": include_inactive,
               "last_order_after": _date(last_order_after, "--last-order-after"),
               "last_order_before": _date(last_order_before, "--last-order-before")}
    now = datetime.now(UTC)
    with ready_database().for_tenant(tenant) as scope:
        starts_at = _local_time(at, scope.tenant.timezone) if at else None
        campaign_id, selected = campaigns.create_campaign(
            scope, name, segment, template, actor(), now, starts_at=starts_at,
            batch_size=batch_size)
    print(f"campaign {campaign_id} {name.strip()!r}: draft, {selected} recipients selected now; "
          f"approve it with steward broadcast approve {shlex.quote(name.strip())} "
          f"--tenant {tenant}")


@app.command("show")
def show(name: str = NAME, tenant: str = TENANT) -> None:
    """The campaign as it was created and approved."""
    with ready_database().for_tenant(tenant) as scope:
        c = campaigns.campaign(scope, name)
    text = c["template"]["text"].strip().splitlines()
    fields = {
        "id": c["id"], "name": c["name"], "status": c["status"],
        "segment": Segment.model_validate(c["segment"]).describe(),
        "subject": c["template"]["subject"],
        "text": " / ".join(text[:TEXT_LINES]) + (" ..." if len(text) > TEXT_LINES else ""),
        "html": "yes" if c["template"].get("html") else "no",
        "starts_at": utc_minute(c["starts_at"]),
        "batch_size": f"{c['batch_size']} (now {c['pace_size']})", "batches": c["batches"],
        "created_by": f"{c['created_by']} at {utc_minute(c['created_at'])}",
        "approved_by": f"{c['approved_by']} at {utc_minute(c['approved_at'])}"
                       if c["approved_by"] else "-",
        "note": c["note"] or "-"}
    for key, value in fields.items():
        print(f"{key}: {value}")


@app.command("approve")
def approve(
    name: str = NAME,
    tenant: str = TENANT,
    by: str = typer.Option(None, "--by", help="Who approves (default STEWARD_ACTOR)."),
) -> None:
    """Approve the campaign as it stands; it goes out once started."""
    with ready_database().for_tenant(tenant) as scope:
        c = campaigns.approve(scope, name, by or actor(), datetime.now(UTC))
    print(f"campaign {c['name']!r}: approved by {c['approved_by']}; start it with "
          f"steward broadcast start {shlex.quote(c['name'])} --tenant {tenant}")


@app.command("start")
def start(name: str = NAME, tenant: str = TENANT) -> None:
    """Freeze the audience; the hourly cycle sends it in batches."""
    with ready_database().for_tenant(tenant) as scope:
        stats = campaigns.start(scope, name, actor(), datetime.now(UTC))
    print(f"campaign {name!r}: running, {stats.audience} recipients, {stats.pending} to send, "
          f"{sum(stats.skipped.values())} skipped ({_kinds(stats)})")


@app.command("pause")
def pause(name: str = NAME, tenant: str = TENANT, reason: str = REASON) -> None:
    """Hold the campaign's queued mail; mail already handed to a dispatcher finishes."""
    why = _reason(reason)
    with ready_database().for_tenant(tenant) as scope:
        held = campaigns.pause(scope, name, actor(), why, datetime.now(UTC))
    print(f"campaign {name!r}: paused, {held} queued message(s) held back")


@app.command("resume")
def resume(name: str = NAME, tenant: str = TENANT) -> None:
    """Give the held mail back (nothing is queued again) and go on with the rest."""
    with ready_database().for_tenant(tenant) as scope:
        due = campaigns.resume(scope, name, actor(), datetime.now(UTC))
    print(f"campaign {name!r}: running, {due} held message(s) due again")


@app.command("cancel")
def cancel(name: str = NAME, tenant: str = TENANT, reason: str = REASON) -> None:
    """End the campaign: whoever has not been sent it is skipped with the reason."""
    why = _reason(reason)
    with ready_database().for_tenant(tenant) as scope:
        skipped = campaigns.cancel(scope, name, actor(), why, datetime.now(UTC))
    print(f"campaign {name!r}: cancelled, {skipped} recipient(s) will not get it")


@app.command("status")
def status(name: str = NAME, tenant: str = TENANT) -> None:
    """Where the campaign stands: sent, remaining, skipped by reason, and what came back."""
    with ready_database().for_tenant(tenant) as scope:
        progress = campaigns.progress(scope, name, datetime.now(UTC))
    s = progress.stats
    print(progress.line())
    print(f"sent {s.sent}\nremaining {s.pending}\n"
          f"skipped {sum(s.skipped.values())} ({_kinds(s)})\nfailed {s.failed}")
    for label, count in (("bounced", s.bounced), ("unsubscribed", s.unsubscribed),
                         ("complaints", s.complained), ("replied", s.replied)):
        print(f"{label} {count} ({s.rate(count)}%)")
    print(f"note: {progress.campaign['note'] or '-'}")


@app.command("list")
def list_campaigns(
    tenant: str = TENANT,
    statuses: list[str] = typer.Option([], "--status", help="Only these (repeatable)."),
) -> None:
    """The tenant's campaigns, oldest first."""
    with ready_database().for_tenant(tenant) as scope:
        found = [(c, store.stats(scope, c["id"]))
                 for c in store.listing(scope, tuple(statuses) or None)]
    print("\t".join(("id", "name", "status", "audience", "sent", "remaining", "note")))
    for c, s in found:
        print("\t".join((str(c["id"]), c["name"], c["status"], str(s.audience), str(s.sent),
                         str(s.pending), c["note"] or "-")))
    if not found:
        out.print(f"{tenant}: no campaigns", highlight=False)


def _kinds(stats: Stats) -> str:
    return ", ".join(f"{k} {n}" for k, n in sorted(stats.skipped.items())) or "none"


def _reason(reason: str) -> str:
    if not reason.strip():
        raise CliError("give --reason")
    return reason.strip()


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read {path}: {exc}") from None


def _date(value: str | None, option: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        raise CliError(f"{option} takes a date YYYY-MM-DD, got {value!r}") from None


def _local_time(value: str, timezone: str) -> datetime:
    try:
        moment = datetime.strptime(value.strip(), "%Y-%m-%d %H:%M")
    except ValueError:
        raise CliError(f"--at takes 'YYYY-MM-DD HH:MM' in the tenant's timezone ({timezone}), "
                       f"got {value!r}") from None
    return moment.replace(tzinfo=ZoneInfo(timezone)).astimezone(UTC)
