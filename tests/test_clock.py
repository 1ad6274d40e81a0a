"""The tests' clock: STEWARD_TEST_CLOCK_SHIFT_DAYS=N (tests/conftest.py) moves it N days for the
whole session, and `clock_at` (tests/helpers.py) for one test; either reaches the Python
processes the tests start (Dagster's code server and run workers, the `steward` script)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import grpc
import pytest

from tests.conftest import CLOCK_SHIFT
from tests.helpers import NOW, clock_at, real_now

CLOSE = timedelta(minutes=1)


def child_now() -> datetime:
    child = subprocess.run(
        [sys.executable, "-c", "from datetime import UTC, datetime; print(datetime.now(UTC))"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return datetime.fromisoformat(child.stdout.strip())


def test_the_session_clock_is_moved_by_the_requested_days() -> None:
    days = int(os.environ.get(CLOCK_SHIFT) or 0)
    assert abs(datetime.now(UTC) - real_now() - timedelta(days=days)) < CLOSE


def test_a_child_process_reads_the_same_clock_as_the_test() -> None:
    assert abs(child_now() - datetime.now(UTC)) < CLOSE


def test_clock_at_moves_the_test_and_its_children_and_then_gives_the_clock_back() -> None:
    before = datetime.now(UTC)
    with clock_at(NOW):
        assert abs(datetime.now(UTC) - NOW) < CLOSE
        assert abs(child_now() - NOW) < CLOSE
    assert abs(datetime.now(UTC) - before) < CLOSE
    assert abs(child_now() - before) < CLOSE


@pytest.mark.parametrize("days", [-400, 365])
def test_grpc_deadlines_hold_under_a_moved_clock(days: int, tmp_path) -> None:
    """A call with a 1 s timeout to a server that is not there gives up after 1 s, not at once
    (clock moved back) and not never (moved ahead): see tests/moved_clock/sitecustomize.py."""
    channel = grpc.insecure_channel(f"unix:{tmp_path / 'nobody.sock'}")
    with clock_at(real_now() + timedelta(days=days)):
        started = time.monotonic()
        with pytest.raises(grpc.RpcError) as failed:
            channel.unary_unary("/steward.Test/Ping")(b"", timeout=1, wait_for_ready=True)
        waited = time.monotonic() - started
    channel.close()
    assert failed.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert 0.8 < waited < 10


def test_a_grpc_server_starts_in_a_child_whose_clock_is_a_year_ahead(tmp_path) -> None:
    """As Dagster's code server does (grpc's start() polls until time.time())."""
    start = (
        "from concurrent import futures; import grpc; "
        "server = grpc.server(futures.ThreadPoolExecutor(1)); "
        f"server.add_insecure_port('unix:{tmp_path / 'server.sock'}'); "
        "server.start(); print('started'); server.stop(None)"
    )
    with clock_at(real_now() + timedelta(days=365)):
        child = subprocess.run(
            [sys.executable, "-c", start], capture_output=True, text=True, timeout=60, check=True
        )
    assert child.stdout.strip() == "started"
