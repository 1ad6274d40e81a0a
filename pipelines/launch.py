"""Launch a job on the configured instance exactly as the UI or a schedule would, and wait for it.

The run is created from the workspace (workspace.yaml) so it carries its code origin: it shows in
the UI's run history and can be re-executed from there. Tenants are passed as a partition range;
one run covers all of them, the assets iterate `context.partition_keys`. `_create_run` is private
Dagster (what `dagster job launch` calls); tests/test_dagster.py pins it to the version it was
checked against.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import dagster as dg
from dagster._cli.job import _create_run
from dagster._cli.workspace.cli_target import (
    get_code_location_from_workspace,
    get_remote_job_from_remote_repo,
    get_remote_repository_from_code_location,
    get_workspace_from_cli_opts,
)
from dagster_shared.cli import WorkspaceOpts

from pipelines.instance import PROJECT

DONE = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}


def launch_job(
    instance: dg.DagsterInstance,
    job_name: str,
    tags: dict[str, str],
    run_config: dict | None = None,
) -> str:
    """Submit the job through the instance's run coordinator, as `dagster job launch` does."""
    opts = WorkspaceOpts(workspace=[str(PROJECT / "workspace.yaml")])
    with get_workspace_from_cli_opts(
        instance, version=dg.__version__, workspace_opts=opts, log_level="WARNING"
    ) as workspace:
        location = get_code_location_from_workspace(workspace, None)
        repo = get_remote_repository_from_code_location(location, None)
        run = _create_run(
            instance=instance,
            code_location=location,
            remote_repo=repo,
            remote_job=get_remote_job_from_remote_repo(repo, job_name),
            run_config=run_config or {},
            tags=tags,
            op_selection=None,
            run_id=None,
        )
        instance.submit_run(run.run_id, workspace)
    return run.run_id


def wait_for_run(
    instance: dg.DagsterInstance,
    run_id: str,
    timeout_s: float = 3600,
    on_status: Callable[[dg.DagsterRunStatus], None] | None = None,
) -> dg.DagsterRun:
    deadline = time.monotonic() + timeout_s
    last = None
    while True:
        run = instance.get_run_by_id(run_id)
        if run is None:
            raise RuntimeError(f"run {run_id} vanished from the instance")
        if run.status != last and on_status:
            on_status(run.status)
        last = run.status
        if run.status in DONE:
            return run
        if time.monotonic() > deadline:
            raise TimeoutError(f"run {run_id} still {run.status.value} after {timeout_s:.0f}s")
        time.sleep(0.5)


def run_failure_summary(instance: dg.DagsterInstance, run_id: str) -> str:
    """The first step failure's message, for a one-line error."""
    records = instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_FAILURE)
    for record in records:
        event = record.dagster_event
        data = event.step_failure_data if event else None
        if data and data.error:
            return f"{event.step_key}: {data.error.message.strip().splitlines()[0]}"
    return "see the run in the Dagster UI"


def check_results(instance: dg.DagsterInstance, run_id: str) -> list[tuple[str, bool, str, str]]:
    """The run's asset check results: name, passed, severity, and the first metadata value
    that explains a failure."""
    records = instance.get_records_for_run(
        run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION).records
    results = []
    for record in records:
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        detail = ""
        if not evaluation.passed:
            values = [v.value for v in evaluation.metadata.values()]
            detail = next((str(v) for v in values if isinstance(v, str) and v != "none"), "")
        results.append((evaluation.check_name, evaluation.passed,
                        evaluation.severity.value, detail.replace("\n", "; ")))
    return results
