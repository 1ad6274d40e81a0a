"""The PostgreSQL variant of the Dagster instance (dagster.postgres.yaml) on the real server."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest
from dagster._core.run_coordinator import DefaultRunCoordinator
from sqlalchemy.engine import make_url

from assets.overview import tenant_overview
from assets.partitions import TENANTS
from pipelines.instance import prepare_dagster_home
from resources.database import Database
from tests.conftest import create_pg_database, drop_pg_database
from tests.helpers import NOW, clock_at, seed_tenant


def test_embedded_default_is_sqlite_under_steward_home(steward_env: Path) -> None:
    home = prepare_dagster_home()
    assert home == steward_env / "dagster"
    with dg.DagsterInstance.get() as instance:
        assert type(instance.run_storage).__name__ == "SqliteRunStorage"
        assert isinstance(instance.run_coordinator, DefaultRunCoordinator)


def test_postgres_instance_runs_the_overview(
    steward_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin_url, _ = create_pg_database("steward_dagster")
    dagster_url = make_url(admin_url).set(drivername="postgresql+psycopg2")
    monkeypatch.setenv("STEWARD_DAGSTER_PG_URL", dagster_url.render_as_string(False))
    db = Database(url=f"sqlite:///{tmp_path / 'app.db'}")
    db.upgrade()
    seed_tenant(db, "alpha", contacts=2)
    try:
        prepare_dagster_home()
        with dg.DagsterInstance.get() as instance:
            assert type(instance.run_storage).__name__ == "PostgresRunStorage"
            assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
            coordinator = instance.run_coordinator
            assert type(coordinator).__name__ == "QueuedRunCoordinator"
            limits = {limit["key"]: limit["limit"] for limit in coordinator.get_run_queue_config()
                      .tag_concurrency_limits}
            assert limits["steward/tenant"] == 1
            instance.add_dynamic_partitions(TENANTS, ["alpha"])
            with clock_at(NOW):  # the overview's hour is the current one
                result = dg.materialize([tenant_overview], instance=instance,
                                        partition_key="alpha", resources={"database": db})
            assert result.success
            assert instance.get_runs_count() == 1
            assert instance.get_materialized_partitions(tenant_overview.key) == {"alpha"}
    finally:
        drop_pg_database(admin_url)
