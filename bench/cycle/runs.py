"""One hourly cycle of every tenant through Dagster, as the schedule launches it, and its figures.

`cycle_schedule` is evaluated for this hour; each RunRequest it returns becomes a run of job
`cycle` with the request's tags, launched from workspace.yaml (pipelines/launch.py, as `steward
run cycle --all` does) on a private instance whose storage is PostgreSQL. The run coordinator is
the default one: it hands each run straight to the DefaultRunLauncher (a run-worker subprocess
per run), where the production QueuedRunCoordinator would wait for the daemon to dequeue it.

Per run the event log says where the time went: Steward's own seconds are the `steward_seconds`
of each asset's `tenants_failed` check (the range's figures; each partition's materialization
carries only its own tenant's), summed over the four phases of the one cycle step.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import dagster as dg

from assets.batch import FAILED_CHECK
from assets.hour import HOUR_FORMAT, HOUR_TAG
from assets.partitions import TENANTS
from pipelines.launch import DONE, launch_job
from pipelines.schedules import batches, cycle_schedule
from resources.database import Database

EV = dg.DagsterEventType
TARGET_WALL, TARGET_RUNS, TARGET_RATIO = 300.0, 20, 10.0


def write_instance_yaml(home: Path, storage_url: str | None) -> None:
    """dagster.yaml without steward's marker line, so prepare_dagster_home leaves it alone."""
    storage = (
        f"storage:\n  postgres:\n    postgres_url: {storage_url}\n"
        if storage_url
        else f"storage:\n  sqlite:\n    base_dir: {home}\n"
    )
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text(
        storage
        + "telemetry:\n  enabled: false\n"
        + "run_coordinator:\n  module: dagster.core.run_coordinator\n"
        + "  class: DefaultRunCoordinator\n"
    )


@dataclass
class StepFigures:
    key: str
    seconds: float  # STEP_START to STEP_SUCCESS
    steward: float  # the asset's steward_seconds
    tenants: int = 0
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class RunFigures:
    run_id: str
    status: str
    tenants: int
    launch_call: float  # launch_job: workspace load, run creation, submission
    created_to_start: float  # run created -> RUN_START: worker process, code load
    duration: float  # get_run_stats: start_time -> end_time
    steward: float
    steps: list[StepFigures]
    startup: float  # RUN_START -> first STEP_START
    tail: float  # last STEP_SUCCESS -> end_time
    events: Counter

    @property
    def bookkeeping(self) -> float:
        return self.duration - self.steward


@dataclass
class CycleFigures:
    hour: datetime
    wall: float
    evaluate: float
    runs: list[RunFigures]


def run_cycle(instance: dg.DagsterInstance, hour: datetime, timeout_s: float) -> CycleFigures:
    started = time.perf_counter()
    context = dg.build_schedule_context(
        instance=instance, scheduled_execution_time=hour, resources={"database": Database()}
    )
    requests = cycle_schedule(context)
    if not isinstance(requests, list):
        raise SystemExit(f"the schedule launched nothing: {requests}")
    evaluated = time.perf_counter()
    launched = []
    for request in requests:
        began = time.perf_counter()
        run_id = launch_job(instance, "cycle", dict(request.tags), request.run_config or None)
        launched.append((run_id, time.perf_counter() - began))
    deadline = time.monotonic() + timeout_s
    pending = {run_id for run_id, _ in launched}
    while pending:
        for run_id in list(pending):
            run = instance.get_run_by_id(run_id)
            if run is not None and run.status in DONE:
                pending.discard(run_id)
        if pending and time.monotonic() > deadline:
            raise SystemExit(f"runs {sorted(pending)} not done after {timeout_s:.0f}s")
        time.sleep(0.2)
    wall = time.perf_counter() - started
    runs = [run_figures(instance, run_id, call) for run_id, call in launched]
    return CycleFigures(hour, wall, evaluated - started, runs)


def scheduled_cycle(instance: dg.DagsterInstance, hour: datetime, timeout_s: float) -> CycleFigures:
    """The cycle the daemon's own schedule launches when `hour` begins, as on a production
    instance, from the schedule's tick time until its last run has finished. Its evaluation
    figure is the time from the tick to the first run's creation."""
    expected = len(batches(instance.get_dynamic_partitions(TENANTS)))
    wanted = dg.RunsFilter(job_name="cycle", tags={HOUR_TAG: hour.strftime(HOUR_FORMAT)})
    deadline = hour.timestamp() + timeout_s
    while True:
        found = instance.get_runs(filters=wanted)
        if len(found) >= expected and all(r.status in DONE for r in found):
            break
        if time.time() > deadline:
            raise SystemExit(f"the {hour:%H:%M} cycle: {len(found)} of {expected} runs, not all "
                             f"done after {timeout_s:.0f}s")
        time.sleep(2)
    records = instance.get_run_records(filters=wanted)
    created = min(r.create_timestamp.timestamp() for r in records)
    ended = max(instance.get_run_stats(r.dagster_run.run_id).end_time for r in records)
    figures = [run_figures(instance, r.dagster_run.run_id, 0.0) for r in records]
    return CycleFigures(hour, ended - hour.timestamp(), created - hour.timestamp(), figures)


def busy(instance: dg.DagsterInstance) -> bool:
    """Any run queued or in progress."""
    return any(r.status not in DONE for r in instance.get_runs(limit=50))


def other_runs(instance: dg.DagsterInstance) -> dict[str, int]:
    return dict(Counter(r.job_name for r in instance.get_runs() if r.job_name != "cycle"))


def run_figures(instance: dg.DagsterInstance, run_id: str, launch_call: float) -> RunFigures:
    run = instance.get_run_by_id(run_id)
    record = instance.get_run_record_by_id(run_id)
    stats = instance.get_run_stats(run_id)
    logs = instance.all_logs(run_id)
    kinds = Counter(e.dagster_event.event_type_value for e in logs if e.dagster_event)
    started: dict[str, float] = {}
    succeeded: dict[str, float] = {}
    metadata: dict[str, dict] = {}
    for entry in logs:
        event = entry.dagster_event
        if event is None or not event.step_key:
            continue
        key = event.step_key
        if event.event_type == EV.STEP_START:
            started[key] = entry.timestamp
        elif event.event_type == EV.ASSET_CHECK_EVALUATION:
            check = event.asset_check_evaluation_data
            if check.check_name == FAILED_CHECK:  # the range's figures, one per asset (phase)
                figures = {k: v.value for k, v in check.metadata.items()}
                meta = metadata.setdefault(key, {"steward_seconds": 0.0})
                meta.update({k: figures[k] for k in ("tenants", "done", "skipped", "failed")})
                meta["steward_seconds"] += figures["steward_seconds"]
        elif event.event_type == EV.STEP_SUCCESS:
            succeeded[key] = entry.timestamp
    steps = []
    for key in sorted(started, key=started.get):
        meta = metadata.get(key, {})
        end = succeeded.get(key, started[key])
        steps.append(
            StepFigures(
                key=key,
                seconds=end - started[key],
                steward=float(meta.get("steward_seconds", 0.0)),
                tenants=int(meta.get("tenants", 0)),
                counts={k: int(meta.get(k, 0)) for k in ("done", "skipped", "failed")},
            )
        )
    first_step = min(started.values(), default=stats.start_time)
    last_step = max(succeeded.values(), default=stats.end_time)
    return RunFigures(
        run_id=run_id,
        status=run.status.value,
        tenants=max((s.tenants for s in steps), default=0),
        launch_call=launch_call,
        created_to_start=stats.start_time - record.create_timestamp.timestamp(),
        duration=stats.end_time - stats.start_time,
        steward=sum(s.steward for s in steps),
        steps=steps,
        startup=first_step - stats.start_time,
        tail=stats.end_time - last_step,
        events=kinds,
    )


def report(tenants: int, cycle: CycleFigures, floor_s: float) -> None:
    """The cycle's figures, run by run and step by step, and the targets."""
    steward = sum(r.steward for r in cycle.runs)
    dagster = sum(r.duration for r in cycle.runs)
    print(
        f"cycle {cycle.hour:%Y-%m-%dT%H}: wall {cycle.wall:6.1f}s for {tenants} tenants in "
        f"{len(cycle.runs)} runs (schedule evaluation {cycle.evaluate:.2f}s); run time summed "
        f"over runs {dagster:.1f}s = Steward's own {steward:.1f}s "
        f"({steward / dagster:.0%}) + bookkeeping {dagster - steward:.1f}s "
        f"({(dagster - steward) / dagster:.0%})"
    )
    for n, r in enumerate(cycle.runs):
        events = ", ".join(f"{k} {v}" for k, v in r.events.most_common(6))
        print(
            f"  run {n} {r.run_id[:8]} {r.status}, {r.tenants} tenants: launch_job "
            f"{r.launch_call:.1f}s, created -> started {r.created_to_start:.1f}s, run "
            f"{r.duration:.1f}s = steward {r.steward:.1f}s + bookkeeping {r.bookkeeping:.1f}s "
            f"(worker start -> first step {r.startup:.1f}s, last step -> end {r.tail:.1f}s)"
        )
        for s in r.steps:
            print(
                f"    {s.key:<14} {s.seconds:7.1f}s: steward {s.steward:7.1f}s, the rest (checks, "
                f"event writes) {s.seconds - s.steward:5.1f}s  {s.counts}"
            )
        print(f"    events: {sum(r.events.values())} ({events})")
    ratio = steward / floor_s
    print(
        f"targets: wall {cycle.wall:.1f}s = {cycle.wall / TARGET_WALL:.2f}x of 300s "
        f"({_met(cycle.wall <= TARGET_WALL)}); runs {len(cycle.runs)} vs <= {TARGET_RUNS} "
        f"({_met(len(cycle.runs) <= TARGET_RUNS)}); Steward's own work / floor {ratio:.1f}x "
        f"vs <= {TARGET_RATIO:.0f}x ({_met(ratio <= TARGET_RATIO)})"
    )


def _met(ok: bool) -> str:
    return "met" if ok else "MISSED"
