"""The code location through Dagster's own surface: definitions, the tenant sensor, the overview."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import dagster as dg
import sqlalchemy as sa

from assets.hour import HOUR_TAG, parse_hour
from assets.overview import tenant_overview
from assets.partitions import TENANTS, partition_tags
from pipelines.definitions import defs
from pipelines.instance import PROJECT, prepare_dagster_home
from pipelines.resources import RESOURCES
from resources.database import Database
from resources.store import schema
from resources.store.tenants import add_tenant, remove_tenant
from sensors.tenants import tenant_registry_sensor
from tests.helpers import NOW, clock_at, seed_tenant


def test_definitions_load_with_jobs_and_sensors() -> None:
    dg.Definitions.validate_loadable(defs)
    assert defs.resolve_job_def("overview").partitions_def.name == TENANTS
    assert defs.resolve_sensor_def("tenant_registry_sensor") is not None


def test_runs_default_to_one_process_and_every_resource_is_registered() -> None:
    """The UI's asset graph launches with the code location's executor: a subprocess per step
    made a one-tenant cycle take 80 s from there. Every resource the code uses is registered."""
    implicit = defs.resolve_implicit_global_asset_job_def()
    assert implicit.executor_def is dg.in_process_executor
    assert defs.resolve_job_def("dispatch").executor_def is dg.in_process_executor
    assert set(defs.resources) == set(RESOURCES)


def test_the_private_dagster_steward_uses_is_pinned() -> None:
    """pipelines/launch.py creates runs with dagster._cli.job._create_run, as `dagster job
    launch` does (Dagster has no public call that creates a run with its code origin outside the
    webserver), and assets/batch.py writes each partition's metadata into the step's metadata
    accumulator (the public add_asset_metadata queries the instance once per partition). A
    Dagster upgrade must fail here until someone checks both by hand."""
    from dagster._cli.job import _create_run
    from dagster._core.execution.context.metadata_logging import OutputMetadataAccumulator
    from dagster._core.execution.context.system import StepExecutionContext

    assert "_metadata_accumulator" in inspect.getsource(StepExecutionContext.add_asset_metadata)
    assert OutputMetadataAccumulator(per_output_metadata={}).per_output_metadata == {}

    assert dg.__version__ == "1.13.27"
    assert list(inspect.signature(_create_run).parameters) == [
        "instance", "code_location", "remote_repo", "remote_job", "run_config", "tags",
        "op_selection", "run_id",
    ]


def test_dagster_validates_the_workspace(steward_env: Path) -> None:
    prepare_dagster_home()
    result = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-w", "workspace.yaml"],
        cwd=PROJECT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]


def _evaluate(instance: dg.DagsterInstance, db: Database, cursor: str | None = None):
    context = dg.build_sensor_context(instance=instance, cursor=cursor,
                                      resources={"database": db})
    return tenant_registry_sensor(context)


def _apply(instance: dg.DagsterInstance, result: dg.SensorResult) -> None:
    for request in result.dynamic_partitions_requests or []:
        if isinstance(request, dg.AddDynamicPartitionsRequest):
            instance.add_dynamic_partitions(TENANTS, list(request.partition_keys))
        else:
            for key in request.partition_keys:
                instance.delete_dynamic_partition(TENANTS, key)


def test_tenant_sensor_adds_and_removes_partitions(db: Database) -> None:
    instance = dg.DagsterInstance.ephemeral()
    add_tenant(db, "alpha")
    add_tenant(db, "beta")
    first = _evaluate(instance, db)
    (request,) = first.dynamic_partitions_requests
    assert isinstance(request, dg.AddDynamicPartitionsRequest)
    assert list(request.partition_keys) == ["alpha", "beta"]
    assert json.loads(first.cursor)["tenants"] == 2
    _apply(instance, first)

    steady = _evaluate(instance, db, first.cursor)
    assert not steady.dynamic_partitions_requests
    assert "in step" in steady.skip_reason.skip_message

    remove_tenant(db, "alpha")
    add_tenant(db, "gamma")
    change = _evaluate(instance, db, steady.cursor)
    kinds = {type(r).__name__: list(r.partition_keys) for r in change.dynamic_partitions_requests}
    assert kinds == {"AddDynamicPartitionsRequest": ["gamma"],
                     "DeleteDynamicPartitionsRequest": ["alpha"]}
    _apply(instance, change)
    assert instance.get_dynamic_partitions(TENANTS) == ["beta", "gamma"]


def _overview_events(db: Database, slug: str) -> list:
    events = schema.warehouse_events
    with db.for_tenant(slug) as scope:
        return scope.execute(scope.select(events.c.event_key, events.c.payload)).all()


def test_overview_materializes_per_tenant_and_a_rerun_replaces(db: Database) -> None:
    hour_end = parse_hour("2026-11-20T14") + timedelta(hours=1)  # the figures are as of then
    seed_tenant(db, "alpha", contacts=3, touched_days_ago=30, now=hour_end)
    seed_tenant(db, "beta", contacts=2, touched_days_ago=2, now=hour_end)
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(TENANTS, ["alpha", "beta"])
    tags = {**partition_tags(["alpha", "beta"]), HOUR_TAG: "2026-11-20T14"}
    for _ in range(2):
        with clock_at(NOW):  # a replay, days after the hour
            result = dg.materialize([tenant_overview], instance=instance, tags=tags,
                                    resources={"database": db})
        assert result.success
    alpha = _overview_events(db, "alpha")
    assert [e.event_key for e in alpha] == ["tenant_overview:2026-11-20T14"]
    assert alpha[0].payload["contacts"] == 3
    assert alpha[0].payload["contacts_past_window"] == 3
    beta = _overview_events(db, "beta")
    assert beta[0].payload["contacts_within_window"] == 2
    events = instance.fetch_materializations(tenant_overview.key, limit=10).records
    contacts = {e.partition_key: e.asset_materialization.metadata["contacts"].value for e in events}
    assert contacts == {"alpha": 3, "beta": 2}  # each partition carries its own tenant's figures
    materialized = instance.get_materialized_partitions(tenant_overview.key)
    assert materialized == {"alpha", "beta"}


def test_overview_single_partition_counts_only_its_tenant(db: Database) -> None:
    seed_tenant(db, "alpha", contacts=4)
    seed_tenant(db, "beta", contacts=1)
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(TENANTS, ["alpha", "beta"])
    with clock_at(NOW):  # the hour is the current one
        result = dg.materialize([tenant_overview], instance=instance, partition_key="beta",
                                resources={"database": db})
    (mat,) = result.asset_materializations_for_node("tenant_overview")
    assert mat.metadata["contacts"].value == 1
    with db.engine.connect() as conn:
        if db.is_postgres:
            assert conn.execute(sa.text("SELECT count(*) FROM warehouse_events")).scalar() == 0
        else:
            assert conn.execute(sa.select(sa.func.count()).select_from(
                schema.warehouse_events)).scalar() == 1
