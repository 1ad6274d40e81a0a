"""The session clock: STEWARD_TEST_CLOCK_SHIFT_DAYS=N (tests/conftest.py) moves it N days for the
tests and for the Python processes they start (Dagster's code server and run workers, the
`steward` script), so a shifted run proves that no test depends on the day it runs."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from time_machine import escape_hatch

from tests.conftest import CLOCK_SHIFT

CLOSE = timedelta(minutes=1)


def test_the_clock_is_moved_by_the_requested_days() -> None:
    days = int(os.environ.get(CLOCK_SHIFT) or 0)
    assert escape_hatch.is_travelling() == bool(days)
    real = escape_hatch.datetime.datetime.now(UTC) if days else datetime.now(UTC)
    assert abs(datetime.now(UTC) - real - timedelta(days=days)) < CLOSE


def test_a_child_process_reads_the_same_clock_as_the_test() -> None:
    child = subprocess.run(
        [sys.executable, "-c", "from datetime import UTC, datetime; print(datetime.now(UTC))"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert abs(datetime.fromisoformat(child.stdout.strip()) - datetime.now(UTC)) < CLOSE
