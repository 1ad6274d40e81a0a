"""Strategies: stored goals with their L4 items (library), executions started, paused, resumed
and cancelled (control), their metrics, health, end and snapshots (monitor), and what a person
sees of them (report). The rules themselves are in agent/strategy.py."""

from resources.strategy.control import cancel, command, pause, resume, start
from resources.strategy.library import StrategyError, define, find, latest_execution
from resources.strategy.monitor import refresh, snapshot_due
from resources.strategy.report import status

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
