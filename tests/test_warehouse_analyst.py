"""The analyst role on PostgreSQL reads the analytics schema for the tenants it was given, and
nothing else: not another tenant's facts (whatever it sets), not the application's tables, and
it writes nothing."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from resources.database import Database
from resources.store import schema
from services.warehouse.build import build_days
from tests.cli import steward
from tests.helpers import seed_tenant
from tests.test_warehouse import BUILT, DAY, _history


@pytest.fixture
def analyst(pg_database, cli_env):
    admin_url, _ = pg_database
    role = f"analyst_{uuid.uuid4().hex[:8]}"
    yield role, make_url(admin_url).set(username=role, password=None)
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP OWNED BY "{role}"'))
        conn.execute(sa.text(f'DROP ROLE "{role}"'))
    engine.dispose()


@pytest.mark.parametrize("cli_env", ["postgres"], indirect=True)
def test_an_analyst_reads_only_its_tenants_facts(analyst, cli_env) -> None:
    role, url = analyst
    db = Database(url=cli_env["STEWARD_DATABASE_URL"])
    for slug in ("acme", "globex"):
        seed_tenant(db, slug)
        _history(db, slug)
    build_days(db, [DAY], BUILT)
    out = steward(cli_env, "db", "create-analyst-role", role, "--tenant", "acme").stdout
    assert "for acme, read-only" in out

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            tenants = conn.execute(sa.text(
                "SELECT DISTINCT t.slug FROM analytics.orders_daily o "
                "JOIN analytics.tenants t ON t.id = o.tenant_id")).scalars().all()
            assert tenants == ["acme"]
            globex = conn.execute(sa.text("SELECT id FROM analytics.tenants")).scalars().all()
            conn.execute(sa.text("SELECT set_config('steward.all_tenants', 'on', false)"))
            conn.execute(sa.text("SELECT set_config('steward.tenant_id', '2', false)"))
            assert conn.execute(sa.text(
                "SELECT count(DISTINCT tenant_id) FROM analytics.mail_daily")).scalar() == 1
            assert conn.execute(sa.text(  # a view reads with the analyst's own policy
                "SELECT DISTINCT tenant_id FROM analytics.pipeline_by_stage")).scalars().all() \
                == [1]
            assert globex == [1]
        for forbidden in ("SELECT count(*) FROM orders",
                          "SELECT count(*) FROM analytics_access.analyst_access",
                          "DELETE FROM analytics.orders_daily"):
            with engine.connect() as conn, pytest.raises(sa.exc.ProgrammingError,
                                                         match="permission denied"):
                conn.execute(sa.text(forbidden))
    finally:
        engine.dispose()

    steward(cli_env, "db", "create-analyst-role", role, "--all")
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text(
                "SELECT count(DISTINCT tenant_id) FROM analytics.orders_daily")).scalar() == 2
    finally:
        engine.dispose()
    assert "give --tenant" in steward(cli_env, "db", "create-analyst-role", role,
                                      ok=False).stderr
    with db.for_tenant("acme") as scope:  # the application still reads its own facts
        assert len(scope.execute(scope.select(schema.orders_daily)).all()) == 1
