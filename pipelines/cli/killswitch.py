"""`steward killswitch`: the global database flag (the env switch is STEWARD_KILL_SWITCH)."""

from __future__ import annotations

import typer

from pipelines import resources
from pipelines.cli.common import CliError, actor, out, ready_database
from resources.store.system_config import set_database_flag
from services.killswitch import announce, kill_state

app = typer.Typer(no_args_is_help=True, help="Stop every action of every tenant at once.")


@app.command()
def on(
    reason: str = typer.Option(..., "--reason", help="Why; shown wherever a run is skipped."),
) -> None:
    """Turn the global kill switch on."""
    if not reason.strip():
        raise CliError("--reason must say why")
    db = ready_database()
    set_database_flag(db, True, reason.strip(), actor())
    said = f"global kill switch turned on by {actor()}: {reason.strip()}"
    told = announce(db, resources.alerts, said)
    out.print(f"kill switch ON: {reason.strip()} ({told} tenant(s) alerted)", highlight=False)


@app.command()
def off() -> None:
    """Turn the global database kill switch off (the environment switch stays as it is)."""
    db = ready_database()
    set_database_flag(db, False, None, actor())
    out.print(f"kill switch OFF ({kill_state(db).describe()})", highlight=False)


@app.command()
def status() -> None:
    """Print the effective state: `on <scope>: <reason>` or `off`."""
    state = kill_state(ready_database())
    print(f"on\t{state.scope}\t{state.reason or ''}" if state.active else "off")
