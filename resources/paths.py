"""Where Steward keeps its embedded state: `.steward/` unless STEWARD_HOME says otherwise."""

from __future__ import annotations

import os
from pathlib import Path


def steward_home() -> Path:
    home = Path(os.environ.get("STEWARD_HOME") or Path.cwd() / ".steward").resolve()
    home.mkdir(parents=True, exist_ok=True)
    return home


def default_database_url() -> str:
    return f"sqlite:///{steward_home() / 'steward.db'}"
