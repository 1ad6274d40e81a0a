"""The `strategy` job: start, pause, resume or cancel a strategy from the UI's launchpad.

It gives the same commands as `steward strategy ...`, through the same code, so the UI and the
command line cannot disagree about what a command may do. A refused command (resuming a
cancelled execution) fails the run with the reason as its message, not a stack trace.
"""

from datetime import UTC, datetime
from typing import Literal

import dagster as dg

from resources.database import Database
from services import strategy


class StrategyConfig(dg.Config):
    tenant: str
    strategy: str
    command: Literal["start", "pause", "resume", "cancel"]
    actor: str = "dagster"
    reason: str = ""


@dg.op(description="Start a strategy, or pause, resume or cancel its latest execution.")
def strategy_command(
    context: dg.OpExecutionContext, config: StrategyConfig, database: Database
) -> None:
    try:
        with database.for_tenant(config.tenant) as scope:
            line = strategy.command(
                scope,
                config.strategy,
                config.command,
                config.actor,
                datetime.now(UTC),
                config.reason,
            )
    except ValueError as exc:  # StrategyError and the plan's own refusals
        raise dg.Failure(str(exc)) from exc
    context.log.info(line)


@dg.job(
    name="strategy",
    description="Start, pause, resume or cancel a strategy (tenant, strategy, command).",
)
def strategy_job():
    strategy_command()
