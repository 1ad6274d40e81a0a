"""The `steward` command line: one-line errors and a non-zero exit on any failure.

Sub-commands live in their own modules; this one wires them and turns errors into
`error: ...` on stderr instead of a traceback (STEWARD_DEBUG=1 lets unexpected ones through).
The translation happens inside the app's own invocation (`StewardGroup`), so `steward`, `main()`
and an in-process runner (the tests' CliRunner) show the same output and exit codes.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import pydantic
import typer
from alembic.util.exc import CommandError
from typer._click.exceptions import ClickException, NoArgsIsHelpError  # Typer vendors Click
from typer.core import TyperGroup

from agent.validation import problems
from pipelines.cli import (
    actions,
    alert,
    broadcast,
    case,
    compliance,
    db,
    deal,
    demo,
    docs,
    feedback,
    inbox,
    insights,
    killswitch,
    order,
    quote,
    run,
    secret,
    strategy,
    suppression,
    tasks,
    tenant,
    warehouse,
)
from pipelines.cli.common import CliError, err
from resources.database import DatabaseError, UnknownTenantError
from resources.database.scoping import UnscopedQueryError
from resources.secrets import SecretsError
from resources.store.alerts import AlertError
from resources.store.broadcasts import BroadcastError
from resources.store.compliance import ComplianceError
from resources.store.tasks import TaskError
from services.approvals import ApprovalError

KNOWN_ERRORS = (
    CliError,
    ApprovalError,
    TaskError,
    AlertError,
    ComplianceError,
    BroadcastError,
    SecretsError,
    DatabaseError,
    UnknownTenantError,
    UnscopedQueryError,
    ValueError,
    TimeoutError,
    CommandError,
)


def one_line(exc: BaseException) -> str:
    if isinstance(exc, pydantic.ValidationError):
        return "invalid settings: " + problems(exc)
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


class StewardGroup(TyperGroup):
    """The top-level command group: a known error becomes one `error: ...` line and exit 1,
    any other one `error: unexpected ...` and exit 2; a usage error (a missing option, an
    unknown command) one `error: ...` line naming the command's --help, and exit 2."""

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        kwargs["prog_name"] = "steward"  # what usage lines name, however it is run
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            result = super().main(*args, standalone_mode=False, **kwargs)
        except NoArgsIsHelpError as exc:
            exc.show()  # the group's help, as with no arguments at all
            sys.exit(exc.exit_code)
        except ClickException as exc:
            where = f" (see `{exc.ctx.command_path} --help`)" if getattr(exc, "ctx", None) else ""
            err(exc.format_message().strip().splitlines()[0] + where)
            sys.exit(exc.exit_code)
        sys.exit(result if isinstance(result, int) else 0)

    def invoke(self, ctx: typer.Context) -> object:
        try:
            return super().invoke(ctx)
        except (typer.TyperException, typer.Exit, typer.Abort):
            raise
        except KNOWN_ERRORS as exc:
            err(one_line(exc))
            raise typer.Exit(1) from None
        except Exception as exc:
            if os.environ.get("STEWARD_DEBUG"):
                raise
            err(f"unexpected {type(exc).__name__}: {one_line(exc)} (STEWARD_DEBUG=1 shows where)")
            raise typer.Exit(2) from None


app = typer.Typer(
    cls=StewardGroup,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="Steward: the autonomous operations agent for small service businesses.",
)
app.add_typer(tenant.app, name="tenant")
app.add_typer(db.app, name="db")
app.add_typer(killswitch.app, name="killswitch")
app.add_typer(inbox.app, name="inbox")
app.add_typer(actions.action_app, name="action")
app.add_typer(actions.outbox_app, name="outbox")
app.add_typer(tasks.task_app, name="task")
app.add_typer(tasks.executor_app, name="executor")
app.add_typer(strategy.app, name="strategy")
app.add_typer(order.app, name="order")
app.add_typer(alert.app, name="alert")
app.add_typer(suppression.app, name="suppression")
app.add_typer(deal.app, name="deal")
app.add_typer(quote.app, name="quote")
app.add_typer(feedback.app, name="feedback")
app.add_typer(case.app, name="case")
app.add_typer(compliance.app, name="compliance")
app.add_typer(broadcast.app, name="broadcast")
app.add_typer(docs.app, name="docs")
app.add_typer(warehouse.app, name="warehouse")
app.add_typer(insights.app, name="insights")
app.add_typer(secret.app, name="secret")
app.command("approve")(actions.approve)
app.command("reject")(actions.reject)
app.command("run")(run.run)
app.command("demo")(demo.demo)
app.command("ui")(run.ui)


def main() -> None:
    """The `steward` console script."""
    app()
