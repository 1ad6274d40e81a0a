"""What a cycle run did, per tenant: its actions by outcome, each with the rule and a reason."""

from __future__ import annotations

from collections import Counter, defaultdict

from pipelines.cli.common import out
from resources.database import Database
from resources.store.schema import agent_runs, reflections

ORDER = ("queued", "awaiting_approval", "deferred", "blocked", "error")


def print_cycle(db: Database, slugs: list[str], run_id: str) -> None:
    for slug in slugs:
        with db.for_tenant(slug) as scope:
            run = (
                scope.execute(scope.select(agent_runs).where(agent_runs.c.dagster_run_id == run_id))
                .mappings()
                .first()
            )
            hints = scope.scalar(
                scope.select(reflections.c.hints).where(
                    reflections.c.agent_run_id == (run["id"] if run else None)
                )
            )
        if run is None:
            out.print(f"{slug}: no cycle (see the run's log)", highlight=False)
            continue
        hour = f"{run['cycle_hour']:%Y-%m-%dT%H}"
        head = f"{slug}: cycle {run['cycle_number']} for {hour} {run['status']}"
        if run["status"] != "completed":
            errors = "; ".join(e["error"] for e in run["errors"] or [])
            out.print(f"{head}: {errors}", highlight=False)
            continue
        decisions = (run["metrics"] or {}).get("decisions", [])
        replay = " (replay: nothing recorded or sent)" if run["metrics"].get("replay") else ""
        out.print(f"{head}, {len(decisions)} action(s){replay}", highlight=False)
        for line in outcome_lines(decisions):
            out.print(f"  {line}", highlight=False)
        for line in engine_lines(run["metrics"], (run["plan"] or {}).get("actions", [])):
            out.print(f"  {line}", highlight=False)
        out.print(f"  {delivery_line(run['metrics'])}", highlight=False)
        for hint in hints or []:
            out.print(f"  hint: {hint}", highlight=False)


def delivery_line(metrics: dict) -> str:
    """Sent (it left: SMTP, a webhook) apart from filed (a dry-run .eml, a file deliverable)."""
    m = {k: metrics.get(k, 0) for k in ("sent", "filed", "applied", "failed")}
    return (
        f"delivered since the last cycle: sent {m['sent']} (left Steward), filed {m['filed']} "
        f"(.eml or file, not sent), applied {m['applied']} (order fixes, tasks), "
        f"failed {m['failed']}"
    )


def engine_lines(metrics: dict, planned: list[dict]) -> list[str]:
    """Per cadence engine: its steps by outcome this hour and one proposed step with the reason
    the engine gave (what the gate then decided is in the lines above). An engine's step keys
    start with its entity: deal_follow_up:... for `deals`, feedback_request:... for `feedback`."""
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for key, value in metrics.items():
        if key.startswith("cadence_") and not key.endswith("_ms") and value:
            engine, _, outcome = key.removeprefix("cadence_").partition("_")
            counts[engine][outcome] = value
    lines = []
    for engine, outcomes in sorted(counts.items()):
        line = f"{engine}: " + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items()))
        example = next((a for a in planned if a["idempotency_key"].split(":")[0].startswith(
            engine.rstrip("s"))), None)
        if example:
            line += f"; e.g. {example['kind']} {example['target'] or ''}: {example['reason']}"
        lines.append(line)
    return lines


def outcome_lines(decisions: list[dict]) -> list[str]:
    by_status: dict[str, list[dict]] = defaultdict(list)
    for d in decisions:
        by_status[d["status"] + (" (decided before)" if d.get("repeated") else "")].append(d)
    lines = []

    def rank(label: str) -> int:
        status = label.split(" ")[0]
        return ORDER.index(status) if status in ORDER else len(ORDER)

    for status in sorted(by_status, key=rank):
        items = by_status[status]
        rules = Counter(d["rule"] for d in items)
        lines.append(f"{status} {len(items)}:")
        for rule, count in rules.most_common():
            example = next(d for d in items if d["rule"] == rule)
            lines.append(
                f"  {rule} x{count}, e.g. {example['kind']} {example['target'] or ''}: "
                f"{example['reason']}"
            )
    return lines
