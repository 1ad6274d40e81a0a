"""Strategies: a goal's L4 items become agent tasks in a dependency graph, with a health score.

An L4 item is the smallest step of a strategy a person writes ("Send outreach emails to warm
leads"). Its wording says which agents do it: the first rule of `AGENT_RULES` whose keyword
appears as a whole word (an "s" may follow: emails, meetings) decides the agents and the
priority. The title is read first, since it says what the item is; the description is read
only when the title names none of the keywords. An item no rule recognises still needs
somebody to pick it up, so it becomes a single coordination task (the agent that routes work)
at low priority, behind the items the rules understood.

Each item's agents work in order (the second task depends on the first), and an item starts
only after the last task of every item it depends on. A dependency on a missing item, a
duplicate id or a cycle is refused before anything runs: a cycle would deadlock the
execution, and its message names the cycle so a person can break it.
"""

from __future__ import annotations

import heapq
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from fractions import Fraction

from pydantic import BaseModel, ConfigDict

AGENT_KINDS = ("email", "content", "research", "scheduling", "coordination", "analysis")

# Email and scheduling speak for the business to people outside it, so a person approves what
# they send (agent.tasks.approvals.needs_approval); the work itself runs at once.
NEEDS_APPROVAL = frozenset({"email", "scheduling"})

# Priority names as the seed has them, and the values the tasks table sorts by (higher first).
PRIORITIES: dict[str, int] = {"high": 80, "medium": 50, "low": 20}

# (keywords, agents in order, priority); the first rule whose keyword matches wins.
AGENT_RULES: tuple[tuple[tuple[str, ...], tuple[str, ...], str], ...] = (
    (("email", "send", "contact", "outreach"), ("email", "coordination"), "high"),
    (("write", "create", "generate", "draft"), ("content", "analysis"), "high"),
    (("research", "analyze", "study"), ("research", "analysis"), "medium"),
    (("schedule", "calendar", "meeting"), ("scheduling", "email"), "high"),
    (("coordinate", "align", "discuss"), ("coordination", "analysis"), "medium"),
)
UNMATCHED = (("coordination",), "low")

_PATTERNS = tuple(
    re.compile(r"\b(?:" + "|".join(words) + r")s?\b", re.IGNORECASE) for words, _, _ in AGENT_RULES
)

# Health score bands, highest first; below the last one an execution is critical.
BANDS = ((80, "excellent"), (60, "good"), (40, "degraded"))
# A running execution's health is snapshotted at most this often (its trend over time).
SNAPSHOT_EVERY = timedelta(minutes=5)

EXECUTION_STATES = ("running", "paused", "completed", "cancelled", "failed")
# The states each command may be given in; "start" begins a new execution of the strategy, so
# it waits until the previous one has ended (one strategy never runs twice at once).
_COMMANDS: dict[str, frozenset[str]] = {
    "start": frozenset({"completed", "cancelled", "failed"}),
    "pause": frozenset({"running"}),
    "resume": frozenset({"paused"}),
    "cancel": frozenset({"running", "paused"}),
}
_RESULT = {"pause": "paused", "resume": "running", "cancel": "cancelled"}
_DONE = {"pause": "paused", "resume": "resumed", "cancel": "cancelled"}


class L4Item(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    title: str
    description: str = ""
    depends_on: tuple[str, ...] = ()


@dataclass(frozen=True)
class Route:
    agents: tuple[str, ...]
    priority: str  # high | medium | low
    matched: str | None  # the keyword that decided, None when no rule matched


@dataclass(frozen=True)
class AgentTaskSpec:
    key: str
    item_id: str
    kind: str
    title: str
    priority: int
    depends_on: tuple[str, ...]


class DuplicateId(ValueError):
    """Two items (or tasks) share an id, so dependencies on it would be ambiguous."""


class MissingDependency(ValueError):
    """Something depends on an id the strategy does not have."""


class CycleError(ValueError):
    """The dependencies go round in a circle, so nothing in the circle could ever start."""


def route(title: str, description: str = "") -> Route:
    for text in (title, description):
        for pattern, (_, agents, priority) in zip(_PATTERNS, AGENT_RULES, strict=True):
            found = pattern.search(text)
            if found:
                return Route(agents, priority, found.group(0).lower())
    agents, priority = UNMATCHED
    return Route(agents, priority, None)


def propagate(items: Sequence[L4Item]) -> list[AgentTaskSpec]:
    _check_graph(((item.id, item.depends_on) for item in items), "item")
    routes = {item.id: route(item.title, item.description) for item in items}
    specs: list[AgentTaskSpec] = []
    for item in items:
        agents, priority = routes[item.id].agents, PRIORITIES[routes[item.id].priority]
        before = tuple(dict.fromkeys(f"{dep}:{routes[dep].agents[-1]}" for dep in item.depends_on))
        for kind in agents:
            key = f"{item.id}:{kind}"
            specs.append(
                AgentTaskSpec(key, item.id, kind, f"{item.title} ({kind})", priority, before)
            )
            before = (key,)
    return specs


def execution_type(kind: str) -> str:
    """How a strategy's task of this agent kind runs: semi-automated (what it sends waits for
    a person's approval) when it speaks for the business outside it, else fully automated."""
    if kind not in AGENT_KINDS:
        raise ValueError(f"unknown agent kind {kind!r}; kinds are {', '.join(AGENT_KINDS)}")
    return "semi_automated" if kind in NEEDS_APPROVAL else "fully_automated"


def topological_order(specs: Sequence[AgentTaskSpec]) -> list[str]:
    """Task keys in an order that respects every dependency (Kahn's algorithm); among tasks
    ready at the same time, higher priority first, then the order given, so the same strategy
    always runs in the same order."""
    _check_graph(((spec.key, spec.depends_on) for spec in specs), "task")
    waiting = {spec.key: len(set(spec.depends_on)) for spec in specs}
    dependents: dict[str, list[str]] = {spec.key: [] for spec in specs}
    for spec in specs:
        for dep in set(spec.depends_on):
            dependents[dep].append(spec.key)
    rank = {spec.key: (-spec.priority, index) for index, spec in enumerate(specs)}
    ready = [(rank[key], key) for key, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        _, key = heapq.heappop(ready)
        order.append(key)
        for child in dependents[key]:
            waiting[child] -= 1
            if waiting[child] == 0:
                heapq.heappush(ready, (rank[child], child))
    return order


def _check_graph(nodes: Iterable[tuple[str, tuple[str, ...]]], noun: str) -> None:
    graph: dict[str, tuple[str, ...]] = {}
    for node, deps in nodes:
        if node in graph:
            raise DuplicateId(f"two {noun}s have the id {node!r}")
        graph[node] = deps
    for node, deps in graph.items():
        for dep in deps:
            if dep not in graph:
                raise MissingDependency(
                    f"{noun} {node!r} depends on {dep!r}, which is not in the strategy"
                )
    cycle = _find_cycle(graph)
    if cycle:
        raise CycleError(f"dependency cycle: {' → '.join(cycle)}")


def _find_cycle(graph: Mapping[str, tuple[str, ...]]) -> list[str] | None:
    """The first cycle met walking the nodes in the order given, as a path from a node back
    to itself along "depends on" edges; iterative, so a long chain cannot overflow the stack."""
    finished: set[str] = set()
    for root in graph:
        if root in finished:
            continue
        path, on_path = [root], {root}
        stack = [iter(graph[root])]
        while stack:
            dep = next(stack[-1], None)
            if dep is None:
                done = path.pop()
                on_path.discard(done)
                finished.add(done)
                stack.pop()
            elif dep in on_path:
                return path[path.index(dep) :] + [dep]
            elif dep not in finished:
                path.append(dep)
                on_path.add(dep)
                stack.append(iter(graph[dep]))
    return None


@dataclass(frozen=True)
class Health:
    score: int
    status: str  # excellent | good | degraded | critical
    completion_rate: float
    error_rate: float
    slow_share: float
    issues: tuple[str, ...]


def health(
    completed: int,
    failed: int,
    total: int,
    attempts: int,
    errors: int,
    durations_s: Sequence[float],
    slow_after_s: float = 30.0,
) -> Health:
    """How an execution is doing, 0-100: full marks, less three deductions.

    - completion_rate = completed / (completed + failed), 1.0 while nothing has finished;
      below the 80% target it costs 50 × (0.8 − completion_rate) / 0.8 (up to 50 points);
    - error_rate = errors / attempts, 0 with no attempts; above the 20% threshold it costs
      25 × (error_rate − 0.2) / 0.8 (up to 25 points);
    - slow_share = the share of task durations above `slow_after_s` (30 s target); it costs
      15 × slow_share (up to 15 points).

    score = 100 − deductions, rounded half up; the arithmetic is exact (fractions), so a
    score of 87.5 is 88 whatever floating point would make of it. The deductions add up to at
    most 90, so the score stays within 10-100 without clamping. Bands: excellent ≥ 80,
    good ≥ 60, degraded ≥ 40, else critical. `total` is the execution's task count; finished
    tasks beyond it, or more errors than attempts, mean the counts are wrong and are refused.
    """
    if min(completed, failed, total, attempts, errors) < 0:
        raise ValueError("health counts cannot be negative")
    if completed + failed > total or errors > attempts:
        raise ValueError(
            f"inconsistent counts: {completed} completed + {failed} failed of {total} tasks, "
            f"{errors} errors in {attempts} attempts"
        )
    finished = completed + failed
    completion = Fraction(completed, finished) if finished else Fraction(1)
    error = Fraction(errors, attempts) if attempts else Fraction(0)
    slow = sum(1 for d in durations_s if d > slow_after_s)
    slow_share = Fraction(slow, len(durations_s)) if durations_s else Fraction(0)
    target, threshold = Fraction(8, 10), Fraction(2, 10)
    issues: list[str] = []
    points = Fraction(0)
    for deduction, issue in (
        (
            50 * max(Fraction(0), target - completion) / target,
            f"completion rate {float(completion):.0%} is under the 80% target",
        ),
        (
            25 * max(Fraction(0), error - threshold) / (1 - threshold),
            f"error rate {float(error):.0%} is over the 20% threshold",
        ),
        (15 * slow_share, f"{slow} of {len(durations_s)} tasks took over {slow_after_s:g} s"),
    ):
        if deduction > 0:
            points += deduction
            issues.append(f"{issue} (-{float(deduction):.1f} points)")
    score = math.floor(100 - points + Fraction(1, 2))
    status = next((name for floor, name in BANDS if score >= floor), "critical")
    return Health(score, status, float(completion), float(error), float(slow_share), tuple(issues))


def execution_refusal(current: str, command: str) -> str | None:
    """Why `command` cannot be given to an execution in state `current`, or None when it can."""
    if current not in EXECUTION_STATES:
        raise ValueError(f"unknown execution state {current!r}")
    if command not in _COMMANDS:
        raise ValueError(f"unknown command {command!r}; commands are {', '.join(_COMMANDS)}")
    if current in _COMMANDS[command]:
        return None
    if command == "start":
        return f"execution is {current}; it must end or be cancelled before another starts"
    if _RESULT[command] == current:
        return f"execution is already {current}"
    return f"execution is {current}; a {current} execution cannot be {_DONE[command]}"
