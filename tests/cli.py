"""The `steward` command for tests: in process through Typer's CliRunner, or as the real console
script in a subprocess for the few smoke tests of the entry point.

In process costs milliseconds instead of the seconds an interpreter start and the imports take.
It runs the same app as the console script, whose own invocation turns errors into one
`error: ...` line and an exit code (`pipelines.cli.StewardGroup`), and it gets the same
environment a subprocess would: exactly `env`, nothing else of the test's.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from pipelines.cli import app
from tests.helpers import CLOCK_OFFSET

# The console script pip installed next to this interpreter (`steward = pipelines.cli:main`).
CONSOLE_SCRIPT = Path(sys.executable).with_name("steward")
# What rich sees without a terminal, so tables wrap the same on every machine.
WIDTH = {"COLUMNS": "80"}


def _with_test_clock(env: dict[str, str]) -> dict[str, str]:
    """`env`, and the test's moved clock (`clock_at`) for the processes the command starts."""
    offset = os.environ.get(CLOCK_OFFSET)
    return {**env, CLOCK_OFFSET: offset} if offset else env


class Ran:
    """What a user sees of one command: stdout, stderr and the exit code."""

    def __init__(self, stdout: str, stderr: str, returncode: int):
        self.stdout, self.stderr, self.returncode = stdout, stderr, returncode


def _checked(ran: Ran, ok: bool) -> Ran:
    if ok:
        assert ran.returncode == 0, ran.stderr[-3000:]
    else:
        assert ran.returncode != 0, ran.stdout[-3000:]
        lines = [line for line in ran.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: "), ran.stderr[-3000:]
    return ran


def steward(env: dict[str, str], *args: str, ok: bool = True, input: str | None = None) -> Ran:
    """Run the CLI in process with exactly `env` as its environment, `input` as what a person
    types at its prompts; `ok=False` expects one `error: ...` line on stderr and a non-zero
    exit code."""
    overrides: dict[str, str | None] = dict.fromkeys(os.environ)
    overrides.update(_with_test_clock(env))
    overrides.update(WIDTH)
    result = CliRunner().invoke(app, list(args), env=overrides, input=input,
                                catch_exceptions=False)
    return _checked(Ran(result.stdout, result.stderr, result.exit_code), ok)


def steward_process(env: dict[str, str], *args: str, ok: bool = True) -> Ran:
    """Run the installed `steward` console script as a user would, in a subprocess."""
    done = subprocess.run(
        [str(CONSOLE_SCRIPT), *args],
        env=_with_test_clock(env),
        capture_output=True,
        text=True,
        timeout=300,
    )
    return _checked(Ran(done.stdout, done.stderr, done.returncode), ok)
