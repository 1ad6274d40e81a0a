"""Strategies: stored goals with their L4 items (library), executions started, paused, resumed
and cancelled (control), their metrics, health, end and snapshots (monitor), and what a person
sees of them (report). The rules themselves are in agent/strategy.py."""

from resources.store.strategies import StrategyError, define, find, latest_execution
from services.strategy.control import cancel, command, pause, resume, start
from services.strategy.monitor import refresh, snapshot_due
from services.strategy.report import status

__all__ = [
    "StrategyError",
    "cancel",
    "command",
    "define",
    "find",
    "latest_execution",
    "pause",
    "refresh",
    "resume",
    "snapshot_due",
    "start",
    "status",
]
