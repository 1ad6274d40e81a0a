"""The Dagster instance the CLI, `make ui` and the tests share.

DAGSTER_HOME defaults to .steward/dagster. Its dagster.yaml is copied from the project's
dagster.yaml (embedded SQLite) or, when STEWARD_DAGSTER_PG_URL is set, dagster.postgres.yaml.
A dagster.yaml the user wrote there themselves (without our marker line) is left alone.

Dagster writes the events of a partition range one by one unless DAGSTER_EVENT_BATCH_SIZE says
otherwise: a cycle over N tenants writes 4N planned and 4N materialization events, and on
PostgreSQL each single write opens its own connection (15 s of a 100-tenant cycle). Every Steward
process sets it (the CLI, `steward ui`, and through the code location the code servers and run
workers); a daemon started by hand should be given it too (README, production instance).
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

from resources.paths import steward_home

PROJECT = Path(__file__).resolve().parent.parent
MARKER = "# managed by steward: edit the project's dagster.yaml instead\n"
EVENT_BATCH_SIZE = "500"


def batch_event_writes() -> None:
    os.environ.setdefault("DAGSTER_EVENT_BATCH_SIZE", EVENT_BATCH_SIZE)


def instance_template() -> Path:
    name = "dagster.postgres.yaml" if os.environ.get("STEWARD_DAGSTER_PG_URL") else "dagster.yaml"
    return PROJECT / name


def prepare_dagster_home() -> Path:
    home = Path(os.environ.get("DAGSTER_HOME") or steward_home() / "dagster").resolve()
    home.mkdir(parents=True, exist_ok=True)
    os.environ["DAGSTER_HOME"] = str(home)
    os.environ.setdefault("STEWARD_HOME", str(steward_home()))
    batch_event_writes()
    target = home / "dagster.yaml"
    if not target.exists() or target.read_text().startswith(MARKER):
        wanted = MARKER + instance_template().read_text()
        if not target.exists() or target.read_text() != wanted:
            target.write_text(wanted)
    return home


def get_instance() -> dg.DagsterInstance:
    """The instance, holding its storage connections open as the webserver does: dagster-postgres
    otherwise opens a connection per event, and creating a run over 500 tenants writes 2,000
    planned events one by one (Dagster batches only materializations on PostgreSQL)."""
    prepare_dagster_home()
    instance = dg.DagsterInstance.get()
    instance.optimize_for_webserver(statement_timeout=0, pool_recycle=3600, max_overflow=10)
    return instance
