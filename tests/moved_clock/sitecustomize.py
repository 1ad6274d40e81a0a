"""Imported at start-up by every Python process the tests start (tests/conftest.py puts this
folder on PYTHONPATH): it moves the process's clock as far as the test moved its own, by
STEWARD_TEST_CLOCK_OFFSET_S seconds (set by `clock_at` in tests/helpers.py and by
STEWARD_TEST_CLOCK_SHIFT_DAYS), so a Dagster code server, a run worker or a `steward`
subprocess reads the same time as the test that started it.

gRPC is the one library that cannot take a moved clock: grpcio hands time.time() (+ timeout)
to gRPC's C core as an absolute deadline, and the core checks it against the real clock. Moved
back, every call (Dagster's ping of its code server) has expired before it starts; moved ahead,
none ever times out, a ping of a server still starting waits forever, and a server's start()
(which polls until time.time()) does not return. `real_time_for_grpc` gives grpcio's modules
the real time, in the test process and in these children.
"""

from __future__ import annotations

import os
import time
from types import ModuleType

OFFSET = "STEWARD_TEST_CLOCK_OFFSET_S"
GRPC_MODULES = (
    "grpc._cython.cygrpc",
    "grpc._channel",
    "grpc._server",
    "grpc._common",
    "grpc._utilities",
)


class RealTime(ModuleType):
    """The `time` module, except that time() is the machine's clock while time-machine moves
    this process's."""

    def __init__(self) -> None:
        super().__init__("time")

    def __getattr__(self, name: str) -> object:
        return getattr(time, name)

    def time(self) -> float:
        import time_machine

        if time_machine.escape_hatch.is_travelling():
            return time_machine.escape_hatch.time.time()
        return time.time()


def real_time_for_grpc() -> None:
    import importlib

    for name in GRPC_MODULES:
        importlib.import_module(name).time = RealTime()


def follow_the_test() -> None:
    seconds = os.environ.get(OFFSET)
    if not seconds:
        return
    from datetime import UTC, datetime, timedelta

    import time_machine

    moved = datetime.now(UTC) + timedelta(seconds=float(seconds))
    time_machine.travel(moved, tick=True).start()
    real_time_for_grpc()


if __name__ == "sitecustomize":
    follow_the_test()
