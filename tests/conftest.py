"""Fixtures: an application database on SQLite and on the real PostgreSQL server.

`db` runs each test that asks for it on both backends. On PostgreSQL the application connects as
a plain role (no superuser, no BYPASSRLS) so row-level security is in force in every test.
STEWARD_TEST_PG_URL names an admin connection (default: postgres on 127.0.0.1:5432); without a
reachable server the PostgreSQL half is skipped locally and fails under CI=true.

STEWARD_TEST_CLOCK_SHIFT_DAYS=N runs the whole session N days away from the real date (the clock
keeps ticking), child processes included, to prove that no test depends on the day it runs: see
`pytest_configure`.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import time_machine
from sqlalchemy.engine import make_url

from resources.database import Database, engine_for, normalize_url
from resources.database.roles import ensure_app_role
from tests.helpers import CLOCK_OFFSET
from tests.moved_clock.sitecustomize import real_time_for_grpc

APP_ROLE = "steward_test_app"
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
CLOCK_SHIFT = "STEWARD_TEST_CLOCK_SHIFT_DAYS"
CHILD_CLOCK = Path(__file__).with_name("moved_clock")  # its sitecustomize.py
_clock: time_machine.travel | None = None


def pytest_configure(config: pytest.Config) -> None:
    """Make the Python processes the tests start follow a moved clock (tests/moved_clock), for
    `clock_at` (tests/helpers.py) and for STEWARD_TEST_CLOCK_SHIFT_DAYS (say 365), which moves
    the clock for the whole session from before collection. The database servers keep the real
    clock: a test must not compare their `now()` (column defaults) with the one it passes."""
    global _clock
    # The CLI's rich consoles decide on colour when imported: never, as without a terminal in
    # CI, so `pytest -s` in a terminal compares the same plain text.
    os.environ.setdefault("TTY_COMPATIBLE", "0")
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(CHILD_CLOCK), os.environ.get("PYTHONPATH")) if p
    )
    real_time_for_grpc()
    days = int(os.environ.get(CLOCK_SHIFT) or 0)
    if not days:
        return
    os.environ[CLOCK_OFFSET] = str(timedelta(days=days).total_seconds())
    _clock = time_machine.travel(datetime.now(UTC) + timedelta(days=days), tick=True)
    _clock.start()


def pytest_unconfigure(config: pytest.Config) -> None:
    if _clock is not None:
        _clock.stop()


def pytest_report_header(config: pytest.Config) -> str | None:
    if _clock is not None:
        return f"clock moved {os.environ[CLOCK_SHIFT]} days: it reads {datetime.now(UTC):%Y-%m-%d}"
    return None


def pg_admin_url() -> str:
    return normalize_url(os.environ.get("STEWARD_TEST_PG_URL") or DEFAULT_PG)


def _pg_available() -> str | None:
    try:
        engine = sa.create_engine(pg_admin_url(), connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
        return None
    except sa.exc.OperationalError as exc:
        return str(exc.orig).splitlines()[0]


def create_pg_database(prefix: str = "steward_test") -> tuple[str, str]:
    """A new empty database; returns (admin URL, app-role URL) for it."""
    problem = _pg_available()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI: {problem}")
        pytest.skip(f"PostgreSQL not reachable: {problem}")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(pg_admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    admin_url = make_url(pg_admin_url()).set(database=name)
    app_url = admin_url.set(username=APP_ROLE, password=None)
    return (admin_url.render_as_string(hide_password=False),
            app_url.render_as_string(hide_password=False))


def drop_pg_database(admin_url: str) -> None:
    """Drop it even while pooled connections remain (WITH FORCE ends them)."""
    name = make_url(admin_url).database
    admin = sa.create_engine(pg_admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def pg_database() -> Iterator[tuple[str, str]]:
    admin_url, app_url = create_pg_database()
    admin_db = Database(url=admin_url)
    admin_db.upgrade()
    ensure_app_role(admin_db.engine, APP_ROLE)
    yield admin_url, app_url
    admin_db.engine.dispose()
    drop_pg_database(admin_url)


def truncate_all(admin_url: str) -> None:
    """Empty every table and restart the ids, as TRUNCATE ... RESTART IDENTITY would: by
    deleting from the tables that have rows (a test leaves a few), which takes milliseconds
    where truncating all 35 tables took 0.2-0.4 s a test. Foreign keys are not checked while
    they go (session_replication_role, which needs the superuser; else TRUNCATE it is)."""
    engine = Database(url=admin_url).engine
    with engine.begin() as conn:
        tables = conn.execute(
            sa.text(
                "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables "
                "WHERE schemaname IN ('public', 'analytics') AND tablename <> 'alembic_version'"
            )
        ).scalars()
        probes = " UNION ALL ".join(
            f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM {t})" for t in tables
        )
        filled = conn.execute(sa.text(probes)).scalars().all()
        superuser = sa.text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if filled and not conn.execute(superuser).scalar():
            conn.execute(sa.text("TRUNCATE tenants, system_config RESTART IDENTITY CASCADE"))
            return
        if filled:
            conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        for table in filled:
            conn.execute(sa.text(f"DELETE FROM {table}"))
        conn.execute(
            sa.text(
                "SELECT setval(format('%I.%I', schemaname, sequencename), 1, false) "
                "FROM pg_sequences WHERE schemaname = 'public'"
            )
        )


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One upgraded SQLite file for the session, copied for each test (running the migrations
    took some 0.15 s a test)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "app.db"
    url = f"sqlite:///{path}"
    Database(url=url).upgrade()
    with engine_for(url).connect() as conn:  # everything in the file itself, nothing in -wal
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine_for(url).dispose()
    return path


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Database:
    """An upgraded, empty application database on each backend."""
    if request.param == "sqlite":
        shutil.copyfile(request.getfixturevalue("sqlite_template"), tmp_path / "app.db")
        return Database(url=f"sqlite:///{tmp_path / 'app.db'}")
    admin_url, app_url = request.getfixturevalue("pg_database")
    truncate_all(admin_url)
    return Database(url=app_url)


@pytest.fixture
def steward_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private STEWARD_HOME and DAGSTER_HOME, as a new user's checkout would have."""
    home = tmp_path / "steward-home"
    monkeypatch.setenv("STEWARD_HOME", str(home))
    monkeypatch.setenv("DAGSTER_HOME", str(home / "dagster"))
    for var in ("STEWARD_DATABASE_URL", "STEWARD_DATABASE_ADMIN_URL", "STEWARD_KILL_SWITCH",
                "STEWARD_DAGSTER_PG_URL"):
        monkeypatch.delenv(var, raising=False)
    return home


@pytest.fixture(params=["sqlite", "postgres"])
def cli_env(request: pytest.FixtureRequest, steward_env: Path) -> dict[str, str]:
    """The environment a `steward` command runs in (tests/cli.py), on each backend."""
    env = dict(os.environ)
    if request.param == "postgres":
        admin_url, app_url = request.getfixturevalue("pg_database")
        truncate_all(admin_url)
        env.update(STEWARD_DATABASE_URL=app_url, STEWARD_DATABASE_ADMIN_URL=admin_url)
    return env
