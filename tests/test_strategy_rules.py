"""Strategy rules without a database: the agent mapping, propagation into a task graph, refusals
of broken graphs, the execution order, the health score and the execution commands."""

from __future__ import annotations

import pytest

from agent.strategy import (
    AGENT_KINDS,
    AGENT_RULES,
    EXECUTION_STATES,
    AgentTaskSpec,
    CycleError,
    DuplicateId,
    Health,
    L4Item,
    MissingDependency,
    Route,
    execution_refusal,
    execution_type,
    health,
    propagate,
    route,
    topological_order,
)


@pytest.mark.parametrize(
    ("title", "description", "expected"),
    [
        (
            "Send personalized outreach emails to warm leads",
            "",
            Route(("email", "coordination"), "high", "send"),
        ),
        ("Create the onboarding guide", "", Route(("content", "analysis"), "high", "create")),
        ("Analyze last quarter's churn", "", Route(("research", "analysis"), "medium", "analyze")),
        ("Book meetings with top accounts", "", Route(("scheduling", "email"), "high", "meetings")),
        ("Align with the sales team", "", Route(("coordination", "analysis"), "medium", "align")),
        # the first rule in the table wins, wherever its word stands in the title
        ("Draft and send the proposal", "", Route(("email", "coordination"), "high", "send")),
        # case-insensitive, and a trailing "s" is allowed
        ("Update the CONTACTS list", "", Route(("email", "coordination"), "high", "contacts")),
        # whole words only: "recreate" is not "create", "researchers" is not "research"
        ("Recreate the archive for researchers", "", Route(("coordination",), "low", None)),
        # the title decides; the description only when the title names no keyword
        ("Write the brief", "then email it", Route(("content", "analysis"), "high", "write")),
        ("Q3 pipeline", "study the lost deals", Route(("research", "analysis"), "medium", "study")),
        ("Tidy the storeroom", "", Route(("coordination",), "low", None)),
    ],
)
def test_route(title, description, expected):
    assert route(title, description) == expected


def test_every_rule_names_known_agents():
    assert {agent for _, agents, _ in AGENT_RULES for agent in agents} == set(AGENT_KINDS)


STRATEGY = [
    L4Item(id="a", title="Research competitor pricing"),
    L4Item(id="b", title="Draft the pricing page", depends_on=["a"]),
    L4Item(id="c", title="Send outreach emails to warm leads", depends_on=("a", "b")),
]


def test_propagate_a_small_strategy():
    assert propagate(STRATEGY) == [
        AgentTaskSpec(
            "a:research", "a", "research", "Research competitor pricing (research)", 50, ()
        ),
        AgentTaskSpec(
            "a:analysis",
            "a",
            "analysis",
            "Research competitor pricing (analysis)",
            50,
            ("a:research",),
        ),
        AgentTaskSpec(
            "b:content", "b", "content", "Draft the pricing page (content)", 80, ("a:analysis",)
        ),
        AgentTaskSpec(
            "b:analysis", "b", "analysis", "Draft the pricing page (analysis)", 80, ("b:content",)
        ),
        AgentTaskSpec(
            "c:email",
            "c",
            "email",
            "Send outreach emails to warm leads (email)",
            80,
            ("a:analysis", "b:analysis"),
        ),
        AgentTaskSpec(
            "c:coordination",
            "c",
            "coordination",
            "Send outreach emails to warm leads (coordination)",
            80,
            ("c:email",),
        ),
    ]


def test_an_unmatched_item_becomes_one_low_priority_coordination_task():
    specs = propagate([L4Item(id="x", title="Tidy the storeroom")])
    assert specs == [
        AgentTaskSpec(
            "x:coordination", "x", "coordination", "Tidy the storeroom (coordination)", 20, ()
        )
    ]


def test_only_work_that_speaks_for_the_business_waits_for_approval():
    assert {kind: execution_type(kind) for kind in AGENT_KINDS} == {
        "email": "semi_automated",
        "content": "fully_automated",
        "research": "fully_automated",
        "scheduling": "semi_automated",
        "coordination": "fully_automated",
        "analysis": "fully_automated",
    }
    with pytest.raises(ValueError, match="unknown agent kind 'fax'"):
        execution_type("fax")


def test_topological_order_respects_dependencies_then_priority_then_input_order():
    specs = propagate(
        [
            L4Item(id="z", title="Tidy the archive"),  # coordination, low (20)
            L4Item(id="x", title="Discuss the budget"),  # coordination + analysis, medium (50)
            L4Item(id="y", title="Schedule the kickoff"),  # scheduling + email, high (80)
            L4Item(id="w", title="Email the summary", depends_on=("x", "y")),  # high (80)
        ]
    )
    assert topological_order(specs) == [
        "y:scheduling",
        "y:email",
        "x:coordination",
        "x:analysis",
        "w:email",
        "w:coordination",
        "z:coordination",
    ]
    assert topological_order(propagate(STRATEGY)) == [
        "a:research",
        "a:analysis",
        "b:content",
        "b:analysis",
        "c:email",
        "c:coordination",
    ]


def test_ties_keep_the_input_order():
    specs = [
        AgentTaskSpec("p", "1", "email", "p", 50, ()),
        AgentTaskSpec("q", "2", "email", "q", 50, ()),
        AgentTaskSpec("r", "3", "email", "r", 80, ()),
        AgentTaskSpec("s", "4", "email", "s", 50, ()),
    ]
    assert topological_order(specs) == ["r", "p", "q", "s"]


def test_a_cycle_is_refused_and_named_in_order():
    items = [
        L4Item(id="d", title="Send the report", depends_on=("a",)),
        L4Item(id="a", title="Write it", depends_on=("b",)),
        L4Item(id="b", title="Research it", depends_on=("c",)),
        L4Item(id="c", title="Discuss it", depends_on=("a",)),
    ]
    with pytest.raises(CycleError) as refused:
        propagate(items)
    assert str(refused.value) == "dependency cycle: a → b → c → a"
    assert isinstance(refused.value, ValueError)
    with pytest.raises(CycleError, match="^dependency cycle: a → a$"):
        propagate([L4Item(id="a", title="Write it", depends_on=("a",))])


def test_a_cycle_among_tasks_is_refused_by_the_order():
    specs = [
        AgentTaskSpec("k1", "1", "email", "k1", 50, ("k2",)),
        AgentTaskSpec("k2", "2", "email", "k2", 50, ("k1",)),
    ]
    with pytest.raises(CycleError, match="^dependency cycle: k1 → k2 → k1$"):
        topological_order(specs)


def test_a_missing_dependency_is_refused():
    items = [L4Item(id="a", title="Write it"), L4Item(id="b", title="Send it", depends_on=("zz",))]
    with pytest.raises(MissingDependency) as refused:
        propagate(items)
    assert str(refused.value) == "item 'b' depends on 'zz', which is not in the strategy"


def test_duplicate_ids_are_refused():
    with pytest.raises(DuplicateId, match="^two items have the id 'a'$"):
        propagate([L4Item(id="a", title="Write it"), L4Item(id="a", title="Send it")])


@pytest.mark.parametrize(
    ("counts", "durations", "expected"),
    [
        # nothing finished yet: full marks
        ((0, 0, 5, 0, 0), [], Health(100, "excellent", 1.0, 0.0, 0.0, ())),
        # at the targets exactly (80% completed, 20% errors, 30 s is not slow): no deduction
        ((8, 2, 10, 10, 2), [30.0, 12.0], Health(100, "excellent", 0.8, 0.2, 0.0, ())),
        # 50 × (0.8 − 0.48) / 0.8 = 20 → 80, the lowest excellent
        (
            (12, 13, 25, 25, 0),
            [],
            Health(
                80,
                "excellent",
                0.48,
                0.0,
                0.0,
                ("completion rate 48% is under the 80% target (-20.0 points)",),
            ),
        ),
        # 20 + 15 × 1/15 = 21 → 79, the highest good
        (
            (12, 13, 25, 25, 0),
            [40.0] + [5.0] * 14,
            Health(
                79,
                "good",
                0.48,
                0.0,
                1 / 15,
                (
                    "completion rate 48% is under the 80% target (-20.0 points)",
                    "1 of 15 tasks took over 30 s (-1.0 points)",
                ),
            ),
        ),
        # 50 × 0.4 / 0.8 = 25 and 25 × (0.68 − 0.2) / 0.8 = 15 → 60, the lowest good
        (
            (2, 3, 5, 25, 17),
            [],
            Health(
                60,
                "good",
                0.4,
                0.68,
                0.0,
                (
                    "completion rate 40% is under the 80% target (-25.0 points)",
                    "error rate 68% is over the 20% threshold (-15.0 points)",
                ),
            ),
        ),
        # 50 + 25 × (0.52 − 0.2) / 0.8 = 60 → 40, the lowest degraded
        (
            (0, 4, 4, 25, 13),
            [],
            Health(
                40,
                "degraded",
                0.0,
                0.52,
                0.0,
                (
                    "completion rate 0% is under the 80% target (-50.0 points)",
                    "error rate 52% is over the 20% threshold (-10.0 points)",
                ),
            ),
        ),
        # 50 + 10 + 1 = 61 → 39, the highest critical
        (
            (0, 4, 4, 25, 13),
            [31.0] + [1.0] * 14,
            Health(
                39,
                "critical",
                0.0,
                0.52,
                1 / 15,
                (
                    "completion rate 0% is under the 80% target (-50.0 points)",
                    "error rate 52% is over the 20% threshold (-10.0 points)",
                    "1 of 15 tasks took over 30 s (-1.0 points)",
                ),
            ),
        ),
        # every deduction in full: 100 − 50 − 25 − 15 = 10
        (
            (0, 3, 3, 3, 3),
            [60.0, 90.0],
            Health(
                10,
                "critical",
                0.0,
                1.0,
                1.0,
                (
                    "completion rate 0% is under the 80% target (-50.0 points)",
                    "error rate 100% is over the 20% threshold (-25.0 points)",
                    "2 of 2 tasks took over 30 s (-15.0 points)",
                ),
            ),
        ),
        # 50 × 0.2 / 0.8 = 12.5 → 87.5 rounds half up to 88
        (
            (3, 2, 9, 5, 0),
            [],
            Health(
                88,
                "excellent",
                0.6,
                0.0,
                0.0,
                ("completion rate 60% is under the 80% target (-12.5 points)",),
            ),
        ),
        # 50 × 0.3 / 0.8 = 18.75 → 81.25 rounds to 81
        (
            (1, 1, 2, 2, 0),
            [],
            Health(
                81,
                "excellent",
                0.5,
                0.0,
                0.0,
                ("completion rate 50% is under the 80% target (-18.8 points)",),
            ),
        ),
    ],
)
def test_health(counts, durations, expected):
    assert health(*counts, durations) == expected


def test_health_slow_threshold_is_a_parameter():
    result = health(5, 0, 5, 5, 0, [10.0, 20.0, 40.0], slow_after_s=15)
    assert (result.score, result.slow_share, result.issues) == (
        90,
        2 / 3,
        ("2 of 3 tasks took over 15 s (-10.0 points)",),
    )


def test_health_refuses_inconsistent_counts():
    with pytest.raises(ValueError, match="3 completed \\+ 3 failed of 5 tasks"):
        health(3, 3, 5, 6, 0, [])
    with pytest.raises(ValueError, match="4 errors in 3 attempts"):
        health(1, 0, 5, 3, 4, [])
    with pytest.raises(ValueError, match="cannot be negative"):
        health(-1, 0, 5, 0, 0, [])


REFUSALS = {
    ("running", "start"): "execution is running; it must end or be cancelled before another starts",
    ("paused", "start"): "execution is paused; it must end or be cancelled before another starts",
    ("completed", "start"): None,
    ("cancelled", "start"): None,
    ("failed", "start"): None,
    ("running", "pause"): None,
    ("paused", "pause"): "execution is already paused",
    ("completed", "pause"): "execution is completed; a completed execution cannot be paused",
    ("cancelled", "pause"): "execution is cancelled; a cancelled execution cannot be paused",
    ("failed", "pause"): "execution is failed; a failed execution cannot be paused",
    ("running", "resume"): "execution is already running",
    ("paused", "resume"): None,
    ("completed", "resume"): "execution is completed; a completed execution cannot be resumed",
    ("cancelled", "resume"): "execution is cancelled; a cancelled execution cannot be resumed",
    ("failed", "resume"): "execution is failed; a failed execution cannot be resumed",
    ("running", "cancel"): None,
    ("paused", "cancel"): None,
    ("completed", "cancel"): "execution is completed; a completed execution cannot be cancelled",
    ("cancelled", "cancel"): "execution is already cancelled",
    ("failed", "cancel"): "execution is failed; a failed execution cannot be cancelled",
}


@pytest.mark.parametrize(("state", "command"), list(REFUSALS))
def test_execution_refusal(state, command):
    assert execution_refusal(state, command) == REFUSALS[(state, command)]


def test_execution_refusal_covers_every_state_and_rejects_unknown_names():
    assert {state for state, _ in REFUSALS} == set(EXECUTION_STATES)
    with pytest.raises(ValueError, match="unknown execution state 'pending'"):
        execution_refusal("pending", "start")
    with pytest.raises(ValueError, match="unknown command 'restart'"):
        execution_refusal("running", "restart")
