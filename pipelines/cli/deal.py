"""`steward deal list|show|stage|pause|resume`: the deals the follow-up engine works, and the
controls a person has over it.

`list` puts stalled deals first; `show` tells a deal's whole story (stage history with how long
each stage lasted, every follow-up round with each step's fate, and why nothing is going out
now); `stage` records a change of stage, which is activity on the deal (a follow-up in progress
stops, the stall clock restarts); `pause` and `resume` flip the deal's auto-follow-up switch:
a paused deal's cadence waits and resumes where it was, never sending a step twice.
"""

from __future__ import annotations

from datetime import UTC, datetime

import typer

from pipelines.cli.common import CliError, actor, out, ready_database, utc_minute
from resources.store import cadences
from resources.store import deals as store
from services.cadence.deals import NAME

app = typer.Typer(no_args_is_help=True, help="Deals: list, show, stage, pause, resume.")


@app.command("list")
def list_deals(
    tenant: str = typer.Option(..., "--tenant"),
    stage: str = typer.Option(None, "--stage", help="Only this stage."),
    stalled: bool = typer.Option(False, "--stalled", help="Only open deals that are stalled."),
    limit: int = typer.Option(100, "--limit"),
) -> None:
    """One tab-separated line per deal, stalled ones first."""
    with ready_database().for_tenant(tenant) as scope:
        rows = store.listing(scope, stage, stalled, limit)
    print("\t".join(("id", "title", "stage", "amount", "contact", "last_activity", "stalled",
                     "follow_ups", "auto", "needs_attention")))
    for r in rows:
        print("\t".join((
            str(r["id"]), r["title"], r["stage"], f"{r['amount'] or 0:.2f}", r["email"] or "-",
            utc_minute(r["last_activity_at"]), utc_minute(r["stalled_at"]),
            str(r["follow_up_count"]), "on" if r["auto_follow_up_enabled"] else "off",
            r["needs_attention"] or "-",
        )))


@app.command("show")
def show(
    deal_id: int = typer.Argument(..., metavar="ID"),
    tenant: str = typer.Option(..., "--tenant"),
) -> None:
    """The deal, its stage history with durations, and every follow-up round step by step."""
    with ready_database().for_tenant(tenant) as scope:
        deal = _deal(scope, deal_id, tenant)
        history = store.stage_history(scope, deal_id)
        rounds = cadences.history(scope, NAME, deal_id)
    for name in ("title", "stage", "amount", "account", "email", "follow_up_count",
                 "needs_attention"):
        if deal[name] not in (None, ""):
            out.print(f"{name}: {deal[name]}", highlight=False)
    out.print(f"last activity: {utc_minute(deal['last_activity_at'])}, stalled since: "
              f"{utc_minute(deal['stalled_at'])}, auto follow-up: "
              f"{'on' if deal['auto_follow_up_enabled'] else 'off'}", highlight=False)
    for h in history:
        days = (h["seconds_in_stage"] or 0) / 86400
        out.print(f"stage {h['from_stage'] or '-'} -> {h['to_stage']} at "
                  f"{utc_minute(h['changed_at'])} by {h['by_whom']} after {days:.1f} days"
                  + (f": {h['reason']}" if h["reason"] else ""), highlight=False)
    for r in rounds:
        state = r["end_reason"] or r["waiting"] or "-"
        out.print(f"follow-up round {r['round']}: {r['status']} since "
                  f"{utc_minute(r['started_at'])}, {r['steps_planned']} step(s): {state}",
                  highlight=False)
        for s in r["steps"]:
            fate = s["outcome"] or s["pending"]
            out.print(f"  step {s['step']} planned {utc_minute(s['planned_at'])}: {fate}",
                      highlight=False)


@app.command("stage")
def stage(
    deal_id: int = typer.Argument(..., metavar="ID"),
    new_stage: str = typer.Argument(..., metavar="STAGE"),
    tenant: str = typer.Option(..., "--tenant"),
    reason: str = typer.Option(None, "--reason", help="Why (kept in the stage history)."),
) -> None:
    """Move the deal to STAGE (a configured stage, won or lost); kept with who and why."""
    with ready_database().for_tenant(tenant) as scope:
        known = [*sorted(scope.tenant.settings.deal_stages), *store.CLOSED]
        if new_stage not in known:
            raise CliError(f"unknown stage {new_stage!r}: choose one of {', '.join(known)}")
        deal = _deal(scope, deal_id, tenant)
        if deal["stage"] == new_stage:
            raise CliError(f"deal {deal_id} is already in stage {new_stage}")
        store.record_stage(scope, deal, new_stage, actor(), reason, datetime.now(UTC))
    print(f"deal {deal_id}: {deal['stage']} -> {new_stage}")


@app.command("pause")
def pause(deal_id: int = typer.Argument(..., metavar="ID"),
          tenant: str = typer.Option(..., "--tenant")) -> None:
    """Hold the deal's automatic follow-ups; `resume` carries on where they were."""
    _switch(deal_id, tenant, False)


@app.command("resume")
def resume(deal_id: int = typer.Argument(..., metavar="ID"),
           tenant: str = typer.Option(..., "--tenant")) -> None:
    """Let the deal's automatic follow-ups carry on; no step already sent goes again."""
    _switch(deal_id, tenant, True)


def _switch(deal_id: int, tenant: str, on: bool) -> None:
    with ready_database().for_tenant(tenant) as scope:
        deal = _deal(scope, deal_id, tenant)
        store.update_deal(scope, deal_id, datetime.now(UTC), auto_follow_up_enabled=on)
    state = "on" if on else "off"
    was = "on" if deal["auto_follow_up_enabled"] else "off"
    print(f"deal {deal_id}: auto follow-up {state}" + ("" if was != state else " (already)"))


def _deal(scope, deal_id: int, tenant: str) -> dict:
    deal = store.get(scope, deal_id)
    if deal is None:
        raise CliError(f"no deal {deal_id} for tenant {tenant} (see `steward deal list`)")
    return deal
