"""Strategy executions on both databases: tasks planned from L4 items, refused plans, start,
pause, resume and cancel, metrics and health from the task rows, the execution's end, health
snapshots; the `strategy` Dagster job; `steward strategy` from the command line."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import dagster as dg
import pytest

from agent.strategy import CycleError, L4Item, MissingDependency
from pipelines.strategy import strategy_job
from resources.database import Database
from resources.store import schema
from resources.store import tasks as store
from resources.store.tenants import add_tenant
from services import strategy
from services.strategy import StrategyError
from tests.cli import steward
from tests.helpers import clock_at, rows

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
ITEMS = [
    L4Item(id="research", title="Research competitor pricing"),
    L4Item(id="post", title="Write the launch announcement", description="One page."),
    L4Item(
        id="outreach", title="Send outreach emails to warm leads", depends_on=("research", "post")
    ),
]
# High priority first among the tasks ready together; each item's agents in turn.
ORDER = [
    "post:content",
    "post:analysis",
    "research:research",
    "research:analysis",
    "outreach:email",
    "outreach:coordination",
]


@pytest.fixture
def acme(db: Database) -> Database:
    add_tenant(db, "acme")
    return db


def launch(db: Database) -> tuple[int, dict[str, int]]:
    """The strategy defined and started; its execution id and task ids by plan key."""
    with db.for_tenant("acme") as scope:
        strategy.define(scope, "launch", ITEMS, "Launch the spring offer", NOW)
        execution_id = strategy.start(scope, "launch", "cli:kenny", NOW)
    return execution_id, {t["plan_key"]: t["id"] for t in rows(db, schema.tasks)}


def attempt(db: Database, task_id: int, result: str, ms: int | None = None) -> None:
    """One attempt as the executor records it: started, then completed, failed and retried
    ("retry"), failed for good, or left "in_progress"."""
    with db.for_tenant("acme") as scope:
        store.move(scope, task_id, "in_progress", "started", "executor", NOW)
        if result == "completed":
            store.move(scope, task_id, "completed", "completed", "executor", NOW, duration_ms=ms)
        elif result == "retry":
            store.move(scope, task_id, "queued", "failed", "executor", NOW, "boom", duration_ms=ms)
            store.log(scope, task_id, "retried", "executor", "retry in 1 s", NOW)
        elif result == "failed":
            store.move(scope, task_id, "failed", "failed", "executor", NOW, "boom", duration_ms=ms)


def refresh(db: Database, execution_id: int) -> dict:
    with db.for_tenant("acme") as scope:
        return strategy.refresh(scope, execution_id, NOW)


def events(db: Database) -> list[tuple[str, str | None]]:
    return [(e["event"], e["detail"]) for e in rows(db, schema.execution_events)]


def test_start_creates_agent_tasks_in_topological_order(acme: Database):
    execution_id, ids = launch(acme)
    tasks = rows(acme, schema.tasks)
    assert [t["plan_key"] for t in tasks] == ORDER
    assert [
        (t["kind"], t["priority"], t["execution_type"], t["approval_status"]) for t in tasks
    ] == [
        ("content", 80, "fully_automated", "not_required"),
        ("analysis", 80, "fully_automated", "not_required"),
        ("research", 50, "fully_automated", "not_required"),
        ("analysis", 50, "fully_automated", "not_required"),
        ("email", 80, "semi_automated", "not_required"),  # its send will wait, not the task
        ("coordination", 80, "fully_automated", "not_required"),
    ]
    assert {t["status"] for t in tasks} == {"pending"}
    assert {t["strategy_execution_id"] for t in tasks} == {execution_id}
    assert tasks[0]["context"] == {
        "strategy": "launch",
        "item": "post",
        "goal": "Launch the spring offer",
    }
    assert tasks[0]["approach_reason"] == (
        "the content step of item 'post' of strategy 'launch': 'write' routes it to "
        "content + analysis"
    )
    key = {v: k for k, v in ids.items()}
    deps = sorted(
        (key[d["task_id"]], key[d["depends_on_id"]]) for d in rows(acme, schema.task_dependencies)
    )
    assert deps == [
        ("outreach:coordination", "outreach:email"),
        ("outreach:email", "post:analysis"),
        ("outreach:email", "research:analysis"),
        ("post:analysis", "post:content"),
        ("research:analysis", "research:research"),
    ]
    (execution,) = rows(acme, schema.strategy_executions)
    assert (execution["status"], execution["started_by"]) == ("running", "cli:kenny")
    assert (execution["health"]["score"], execution["health"]["status"]) == (100, "excellent")
    assert (execution["metrics"]["total"], execution["metrics"]["pending"]) == (6, 6)
    (started,) = rows(acme, schema.execution_events)
    assert (started["event"], started["data"]) == ("started", {"order": ORDER})


def test_a_cyclic_strategy_is_refused_with_the_cycle_named_and_nothing_stored(acme: Database):
    cyclic = [
        L4Item(id="a", title="Research the market", depends_on=("b",)),
        L4Item(id="b", title="Write the brief", depends_on=("a",)),
    ]
    with acme.for_tenant("acme") as scope, pytest.raises(CycleError, match="a → b → a"):
        strategy.define(scope, "loop", cyclic, None, NOW)
    assert rows(acme, schema.strategies) == []


def test_a_dependency_on_a_missing_item_is_refused(acme: Database):
    dangling = [L4Item(id="a", title="Research the market", depends_on=("ghost",))]
    with acme.for_tenant("acme") as scope, pytest.raises(MissingDependency, match="'ghost'"):
        strategy.define(scope, "dangling", dangling, None, NOW)
    assert rows(acme, schema.strategies) == []


def test_pause_resume_cancel_and_no_resume_after_cancel(acme: Database):
    execution_id, ids = launch(acme)
    with acme.for_tenant("acme") as scope:
        strategy.pause(scope, execution_id, "cli:kenny", NOW, "waiting for the price list")
        with pytest.raises(StrategyError, match="execution is already paused"):
            strategy.pause(scope, execution_id, "cli:kenny", NOW)
        paused = strategy.status(scope, "launch")["execution"]
        strategy.resume(scope, execution_id, "cli:kenny", NOW)
        with pytest.raises(StrategyError, match="has a running execution"):
            strategy.define(scope, "launch", ITEMS[:1], None, NOW)
        with pytest.raises(StrategyError, match="execution is running; it must end"):
            strategy.start(scope, "launch", "cli:kenny", NOW)
    assert paused["status"] == "paused" and paused["paused_at"] is not None
    assert {t["status"] for t in rows(acme, schema.tasks)} == {"pending"}  # no churn
    attempt(acme, ids["post:content"], "in_progress")
    with acme.for_tenant("acme") as scope:
        line = strategy.cancel(scope, execution_id, "cli:kenny", NOW, "offer withdrawn")
    assert line == (
        f"execution {execution_id} of 'launch' cancelled: "
        "5 task(s) cancelled, 1 in progress left to finish"
    )
    tasks = {t["plan_key"]: t for t in rows(acme, schema.tasks)}
    assert tasks.pop("post:content")["status"] == "in_progress"
    assert {(t["status"], t["last_error"]) for t in tasks.values()} == {
        ("failed", "execution cancelled")
    }
    assert events(acme)[1:] == [
        ("paused", "waiting for the price list"),
        ("resumed", None),
        ("cancelled", "5 task(s) cancelled, 1 in progress left to finish; offer withdrawn"),
    ]
    with (
        acme.for_tenant("acme") as scope,
        pytest.raises(
            StrategyError,
            match=f"cannot resume execution {execution_id} of 'launch': execution is "
            "cancelled; a cancelled execution cannot be resumed",
        ),
    ):
        strategy.resume(scope, execution_id, "cli:kenny", NOW)
    with acme.for_tenant("acme") as scope:
        store.move(scope, ids["post:content"], "completed", "completed", "executor", NOW)
    after = refresh(acme, execution_id)
    assert after["status"] == "cancelled"
    assert {k: after["metrics"][k] for k in ("completed", "failed", "skipped", "errors")} == {
        "completed": 1,
        "failed": 0,
        "skipped": 5,
        "errors": 0,
    }


def test_refresh_measures_the_tasks_and_fails_when_nothing_can_run(acme: Database):
    execution_id, ids = launch(acme)
    attempt(acme, ids["post:content"], "completed", 31_000)
    attempt(acme, ids["research:research"], "retry", 40_000)
    attempt(acme, ids["research:research"], "completed", 50_000)
    attempt(acme, ids["post:analysis"], "failed", 3_000)
    attempt(acme, ids["research:analysis"], "in_progress")
    measured = refresh(acme, execution_id)
    assert measured["status"] == "running"  # research:analysis may still finish
    assert measured["metrics"] == {
        "total": 6,
        "completed": 2,
        "failed": 1,
        "skipped": 0,
        "in_progress": 1,
        "pending": 2,
        "blocked": 0,
        "attempts": 5,
        "retries": 1,
        "errors": 2,
        "durations_ms": {
            "content": {"count": 1, "mean": 31000.0, "max": 31000},
            "analysis": {"count": 1, "mean": 3000.0, "max": 3000},
            "research": {"count": 1, "mean": 50000.0, "max": 50000},
            "email": {"count": 0, "mean": None, "max": None},
            "coordination": {"count": 0, "mean": None, "max": None},
        },
    }
    # completion 2/3: -8.33; errors 2/5: -6.25; 2 of 3 durations over 30 s: -10 -> 75.4
    health = measured["health"]
    assert (health["score"], health["status"], len(health["issues"])) == (75, "good", 3)
    assert events(acme)[-1] == ("health-update", "excellent → good (score 75)")

    with acme.for_tenant("acme") as scope:
        store.move(scope, ids["research:analysis"], "completed", "completed", "executor", NOW)
    ended = refresh(acme, execution_id)
    assert (ended["status"], ended["finished_at"]) == ("failed", NOW)
    # completion 3/4 (-3.13) lifts the score back over 80
    assert events(acme)[-2:] == [
        ("failed", "post:analysis failed; 2 waiting task(s) could never run"),
        ("health-update", "good → excellent (score 81)"),
    ]
    assert {k: ended["metrics"][k] for k in ("completed", "failed", "skipped", "errors")} == {
        "completed": 3,
        "failed": 1,
        "skipped": 2,
        "errors": 2,
    }
    left = {t["plan_key"]: t for t in rows(acme, schema.tasks) if t["plan_key"].startswith("out")}
    assert {(t["status"], t["last_error"]) for t in left.values()} == {
        ("failed", "execution failed")
    }


def test_the_execution_completes_when_every_task_completed(acme: Database):
    execution_id, ids = launch(acme)
    for key in ORDER[:-1]:
        attempt(acme, ids[key], "completed", 1_000)
    assert refresh(acme, execution_id)["status"] == "running"
    attempt(acme, ids[ORDER[-1]], "completed", 2_000)
    done = refresh(acme, execution_id)
    assert (done["status"], done["finished_at"], done["health"]["score"]) == ("completed", NOW, 100)
    assert events(acme)[-1] == ("completed", "all 6 tasks completed")
    with acme.for_tenant("acme") as scope:
        assert strategy.start(scope, "launch", "cli:kenny", NOW) == execution_id + 1


def test_snapshots_are_written_at_most_once_per_interval(acme: Database):
    execution_id, _ = launch(acme)
    assert strategy.snapshot_due(acme, NOW) == 1
    assert strategy.snapshot_due(acme, NOW + timedelta(minutes=4)) == 0
    assert strategy.snapshot_due(acme, NOW + timedelta(minutes=5)) == 1
    with acme.for_tenant("acme") as scope:
        strategy.pause(scope, execution_id, "cli:kenny", NOW)
    assert strategy.snapshot_due(acme, NOW + timedelta(minutes=15)) == 0
    snapshots = rows(acme, schema.execution_health_snapshots)
    assert [(s["execution_id"], s["score"], s["status"]) for s in snapshots] == [
        (execution_id, 100, "excellent")
    ] * 2


@clock_at(NOW)  # the job and the CLI read the clock
def test_the_strategy_job_pauses_from_launchpad_config_and_refuses_with_the_reason(
    acme: Database,
):
    execution_id, _ = launch(acme)

    def run(command: str) -> dg.ExecuteInProcessResult:
        config = {"tenant": "acme", "strategy": "launch", "command": command, "actor": "ui:kenny"}
        with dg.DagsterInstance.ephemeral() as instance:
            return strategy_job.execute_in_process(
                run_config={"ops": {"strategy_command": {"config": config}}},
                resources={"database": acme},
                instance=instance,
                raise_on_error=False,
            )

    assert run("pause").success
    (execution,) = rows(acme, schema.strategy_executions)
    assert execution["status"] == "paused"
    assert rows(acme, schema.execution_events)[-1]["actor"] == "ui:kenny"
    refused = run("pause")
    assert not refused.success
    failure = refused.failure_data_for_node("strategy_command").error
    assert f"cannot pause execution {execution_id} of 'launch'" in failure.message


@clock_at(NOW)
def test_the_cli_creates_starts_shows_and_refuses_resume_after_cancel(cli_env, tmp_path):
    steward(cli_env, "db", "upgrade")
    steward(cli_env, "tenant", "add", "acme")
    items = tmp_path / "items.json"
    items.write_text(json.dumps([item.model_dump(mode="json") for item in ITEMS]))
    created = steward(
        cli_env, "strategy", "create", "launch", "--tenant", "acme", "--items", str(items)
    ).stdout
    assert "3 items, 6 agent tasks" in created
    assert "outreach:email  email  priority 80 after research:analysis, post:analysis" in created
    looped = steward(
        cli_env,
        "strategy",
        "create",
        "loop",
        "--tenant",
        "acme",
        "--item",
        "a|Research a|b",
        "--item",
        "b|Research b|a",
        ok=False,
    )
    assert "dependency cycle: a → b → a" in looped.stderr
    assert "started" in steward(cli_env, "strategy", "start", "launch", "--tenant", "acme").stdout
    shown = steward(cli_env, "strategy", "status", "launch", "--tenant", "acme").stdout
    assert "health: 100 (excellent)" in shown
    cells = [line.split("│") for line in shown.splitlines() if line.startswith("│")]
    assert [c[2].strip() for c in cells if c[1].strip().isdigit()] == ORDER
    steward(cli_env, "strategy", "cancel", "launch", "--tenant", "acme", "--reason", "not now")
    refused = steward(cli_env, "strategy", "resume", "launch", "--tenant", "acme", ok=False)
    assert "execution is cancelled; a cancelled execution cannot be resumed" in refused.stderr
