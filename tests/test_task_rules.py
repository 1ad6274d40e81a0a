"""Task rules without a database: every status pair, who approves what and what an answer does,
backoff and escalation, and the approach chosen for sample tasks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import product

import pytest

from agent.retry import DELIVERY_ATTEMPTS, backoff_seconds
from agent.tasks.approach import PLAYBOOKS, SubtaskSpec, choose_approach, named_recipient
from agent.tasks.approvals import after_send_decision, approval_refusal, needs_approval
from agent.tasks.machine import (
    EXECUTION_TYPES,
    STATUSES,
    TRANSITIONS,
    IllegalTransition,
    check_transition,
)
from agent.tasks.outcomes import FailureOutcome, RollUp, after_failure, roll_up
from resources.store import outbox

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)

LEGAL = [(a, b) for a in STATUSES for b in sorted(TRANSITIONS[a])]
ILLEGAL = [(a, b) for a, b in product(STATUSES, STATUSES) if b not in TRANSITIONS[a]]


def test_the_transition_table_is_the_documented_one():
    assert set(TRANSITIONS) == set(STATUSES)
    assert {a: set(b) for a, b in TRANSITIONS.items()} == {
        "pending": {"queued", "in_progress", "paused", "blocked", "failed"},
        "queued": {"in_progress", "paused", "blocked", "pending", "failed"},
        "in_progress": {"completed", "failed", "queued", "blocked", "paused"},
        "paused": {"pending", "queued", "failed"},
        "blocked": {"pending", "queued", "failed"},
        "completed": set(),
        "failed": {"queued"},
    }
    assert len(LEGAL) + len(ILLEGAL) == 49 and len(LEGAL) == 22


@pytest.mark.parametrize(("current", "new"), LEGAL)
def test_legal_transitions_are_accepted(current, new):
    assert check_transition(current, new) is None


@pytest.mark.parametrize(("current", "new"), ILLEGAL)
def test_illegal_transitions_are_refused(current, new):
    with pytest.raises(IllegalTransition) as refused:
        check_transition(current, new)
    assert f"from {current} to {new}" in str(refused.value)
    assert isinstance(refused.value, ValueError)


def test_the_refusal_names_the_legal_targets():
    with pytest.raises(
        IllegalTransition,
        match=r"^a task cannot move from paused to completed; "
        r"from paused it may go to pending, queued, failed$",
    ):
        check_transition("paused", "completed")
    with pytest.raises(IllegalTransition, match="it may go to nothing: it is terminal$"):
        check_transition("completed", "queued")


@pytest.mark.parametrize(("current", "new"), [("new", "queued"), ("pending", "done")])
def test_unknown_statuses_are_refused(current, new):
    bad = current if current not in STATUSES else new
    with pytest.raises(IllegalTransition, match=f"unknown task status '{bad}'"):
        check_transition(current, new)


@pytest.mark.parametrize(
    ("status", "approval", "decision", "refusal"),
    [
        ("pending", "pending", "approve", None),
        ("blocked", "pending", "reject", None),
        ("paused", "pending", "approve", None),
        ("queued", "pending", "reject", None),
        ("pending", "rejected", "approve", "cannot approve: the task was already rejected"),
        ("queued", "approved", "approve", "cannot approve: the task was already approved"),
        ("queued", "approved", "reject", "cannot reject: the task was already approved"),
        ("failed", "expired", "approve", "cannot approve: the approval expired unanswered"),
        (
            "pending",
            "not_required",
            "approve",
            "cannot approve: nothing of the task waits for an approval "
            "(a send waits only once the task has run and proposed it)",
        ),
        ("completed", "pending", "approve", "cannot approve: the task is already completed"),
        ("failed", "pending", "reject", "cannot reject: the task is already failed"),
        ("in_progress", "pending", "reject", "cannot reject: the task is already in progress"),
    ],
)
def test_approval_refusals(status, approval, decision, refusal):
    assert approval_refusal(status, approval, decision) == refusal


def test_approval_refusal_rejects_unknown_names():
    with pytest.raises(ValueError, match="unknown decision 'maybe'"):
        approval_refusal("pending", "pending", "maybe")
    with pytest.raises(ValueError, match="unknown approval status 'waiting'"):
        approval_refusal("pending", "waiting", "approve")


def test_only_what_leaves_a_semi_automated_task_waits_for_a_person():
    # a draft, summary or report stays inside: nobody's yes, whatever the execution type
    assert [needs_approval(t, leaves=False) for t in EXECUTION_TYPES] == [False, False, False]
    # a send: semi-automated waits for a person; fully automated goes by the gate's own rules
    assert [needs_approval(t, leaves=True) for t in EXECUTION_TYPES] == [False, True, False]
    with pytest.raises(ValueError, match="unknown execution type 'robotic'"):
        needs_approval("robotic", leaves=True)


@pytest.mark.parametrize(
    ("status", "verdict", "after"),
    [
        ("blocked", "approved", ("queued", "approved")),
        ("paused", "approved", (None, "approved")),
        ("completed", "approved", (None, "approved")),
        ("blocked", "rejected", ("failed", "rejected")),
        ("paused", "rejected", ("failed", "rejected")),
        ("blocked", "expired", ("failed", "failed")),
        ("failed", "rejected", (None, "rejected")),
        ("completed", "expired", (None, "failed")),
    ],
)
def test_what_a_task_does_when_its_send_is_answered(status, verdict, after):
    assert after_send_decision(status, verdict) == after
    if after[0] is not None:
        check_transition(status, after[0])


def test_after_send_decision_rejects_unknown_names():
    with pytest.raises(ValueError, match="unknown verdict 'maybe'"):
        after_send_decision("blocked", "maybe")
    with pytest.raises(ValueError, match="unknown task status 'waiting'"):
        after_send_decision("waiting", "approved")


def test_backoff_doubles_from_the_base_up_to_the_cap():
    assert [backoff_seconds(n, 5, 30) for n in (1, 2, 3, 4)] == [5, 10, 20, 30]
    assert backoff_seconds(100_000, 60, 3600) == 3600.0
    with pytest.raises(ValueError, match="attempts count from 1, got 0"):
        backoff_seconds(0, 1, 300)


def test_the_one_backoff_gives_tasks_the_waits_they_had():
    waits = [
        (after_failure(n, 20, NOW).next_attempt_at - NOW).total_seconds() for n in range(1, 11)
    ]
    assert waits == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300]


def test_the_one_backoff_gives_the_outbox_the_waits_it_had():
    """A minute after the first failed delivery, doubling, until the attempts are used up."""
    waits = []
    for attempts in range(DELIVERY_ATTEMPTS):
        values = outbox.retry_values({"attempts": attempts}, NOW, "HTTP 503")
        waits.append(values["not_before"] - NOW if values["status"] == "pending" else None)
    assert waits == [timedelta(minutes=m) for m in (1, 2, 4, 8)] + [None]


def test_after_failure_retries_with_backoff_then_escalates():
    assert after_failure(1, 3, NOW) == FailureOutcome(
        True, NOW + timedelta(seconds=1), False, "attempt 1 of 3 failed; retrying in 1 s"
    )
    assert after_failure(2, 3, NOW) == FailureOutcome(
        True, NOW + timedelta(seconds=2), False, "attempt 2 of 3 failed; retrying in 2 s"
    )
    assert after_failure(3, 3, NOW) == FailureOutcome(
        False, None, True, "attempt 3 of 3 failed; none left, escalate to a person"
    )
    assert after_failure(3, 5, NOW, base=0.5).next_attempt_at == NOW + timedelta(seconds=2)
    assert after_failure(7, 5, NOW).escalate


def test_a_decomposed_task_rolls_up_from_its_subtasks():
    assert roll_up([]) is None
    assert roll_up([(4, "completed", "a.md"), (5, "in_progress", None)]) is None
    assert roll_up([(4, "completed", "a.md"), (5, "failed", None), (6, "failed", None)]) == (
        RollUp("blocked", "subtask 5 failed; a person must decide how to go on")
    )
    assert roll_up([(4, "completed", "a.md"), (5, "completed", None), (6, "completed", "c")]) == (
        RollUp("completed", "all 3 subtasks completed", "a.md; c")
    )
    assert roll_up([(4, "completed", None)]) == RollUp("completed", "all 1 subtasks completed")


def test_choose_approach_immediate():
    draft = choose_approach("Draft email to john@example.com thanking him", None, "general")
    assert (draft.mode, draft.subtasks) == ("immediate", ())
    assert draft.reason == "Steward can draft an email from a template now ('Draft' + 'email')"
    # filed without a kind, a draft is content work; filed as email, it is a send
    assert draft.task_kind("general") == "content" and draft.task_kind("email") == "email"
    reply = choose_approach("Reply to Jane about the delay", "", "email")
    assert reply.reason == "Steward can draft an email from a template now ('Reply')"
    assert reply.task_kind("email") == "email"
    by_kind = choose_approach("Draft a thank-you to Jane", None, "email")
    assert by_kind.reason == (
        "Steward can draft an email from a template now ('Draft' + kind email)"
    )
    notes = choose_approach("Summarise the call notes from Monday", None, "general")
    assert (notes.mode, notes.reason) == (
        "immediate",
        "Steward can summarise notes now ('Summarise' + 'notes')",
    )
    assert notes.task_kind("general") == "summary"
    report = choose_approach("Weekly pipeline", "generate a report from the deals", "research")
    assert report.reason == "Steward can generate a report from data now ('generate' + 'report')"
    assert report.task_kind("general") == "analysis" and report.task_kind("research") == "research"


def test_the_recipient_is_the_one_address_a_task_names():
    assert named_recipient("Draft email to John@Example.com thanking him.", None) == (
        "john@example.com"
    )
    assert named_recipient("Thank John", "his address: john@example.com") == "john@example.com"
    assert named_recipient("Email john@example.com and JOHN@example.com", "") == (
        "john@example.com"
    )
    assert named_recipient("Email john@example.com and ann@example.com", None) is None
    assert named_recipient("Thank John for the meeting", None) is None


def test_a_kind_with_a_handler_makes_a_task_immediate_unless_it_needs_a_person():
    send = choose_approach("Send the welcome pack", None, "email", frozenset({"email"}))
    assert (send.mode, send.reason) == ("immediate", "the email handler can do it now")
    call = choose_approach("Call Jane about the pack", None, "email", frozenset({"email"}))
    assert call.mode == "blocked"
    assert choose_approach("Send the welcome pack", None, "email").mode == "blocked"


def test_choose_approach_decompose():
    plan = choose_approach("Plan Q4 marketing campaign", None, "general")
    assert plan.mode == "decompose"
    assert plan.reason == (
        "matches the newsletter or campaign launch playbook ('Plan' + 'campaign'): 4 subtasks"
    )
    assert plan.subtasks == (
        SubtaskSpec("Research the audience and past results", "research", "fully_automated"),
        SubtaskSpec("Draft the campaign content", "content", "fully_automated", (0,)),
        SubtaskSpec("Prepare and send the newsletter", "newsletter", "semi_automated", (1,)),
        SubtaskSpec("Schedule the launch posts", "social", "semi_automated", (1,)),
    )
    onboarding = choose_approach("Onboard Acme", "a new client from the expo", "general")
    assert onboarding.reason == (
        "matches the new client onboarding playbook ('Onboard' + 'client'): 4 subtasks"
    )
    assert [s.execution_type for s in onboarding.subtasks] == [
        "semi_automated",
        "fully_automated",
        "manual",
        "semi_automated",
    ]
    assert choose_approach("Social media week", None, "social").reason == (
        "matches the social media week playbook ('Social' + 'week'): 3 subtasks"
    )
    seo = choose_approach("SEO refresh for the services pages", None, "seo")
    assert seo.reason == "matches the SEO refresh playbook ('SEO' + 'refresh'): 4 subtasks"
    assert seo.subtasks[2] == SubtaskSpec(
        "Rewrite titles and meta descriptions", "content", "fully_automated", (0, 1)
    )


def test_a_playbook_wins_over_an_immediate_capability():
    # "draft ... newsletter" alone is not a launch, but "launch" makes it one
    assert choose_approach("Draft and launch the spring newsletter", None, "newsletter").mode == (
        "decompose"
    )


def test_playbooks_are_well_formed():
    kinds = {"email", "social", "newsletter", "seo", "ads", "content", "research", "general"}
    for playbook in PLAYBOOKS:
        for index, sub in enumerate(playbook.subtasks):
            assert sub.kind in kinds and sub.execution_type in EXECUTION_TYPES
            assert all(0 <= dep < index for dep in sub.depends_on), (playbook.name, sub)


@pytest.mark.parametrize(
    ("title", "description", "reason"),
    [
        (
            "Call the borrower about the appraisal",
            None,
            "a phone call needs a person (matched 'Call')",
        ),
        ("Site visit at 12 Elm St", None, "a visit needs a person (matched 'Site visit')"),
        (
            "Get the engagement letter",
            "needs the client's signature",
            "a signature needs a person (matched 'signature')",
        ),
        (
            "Order new office chairs",
            "purchase from the usual vendor",
            "a payment or purchase needs a person with access to the accounts (matched 'purchase')",
        ),
        (
            "Courier the originals to the lender",
            None,
            "a physical delivery needs a person (matched 'Courier')",
        ),
        (
            "Post the launch update in Slack",
            None,
            "it needs a platform Steward has no connection to (matched 'Slack')",
        ),
        # blocked keywords come before playbooks: a launch that needs a phone call is blocked
        ("Launch the campaign by phone", None, "a phone call needs a person (matched 'phone')"),
        ("Tidy the storeroom", None, "no playbook or capability matches; needs a person"),
    ],
)
def test_choose_approach_blocked(title, description, reason):
    decision = choose_approach(title, description, "general")
    assert (decision.mode, decision.reason, decision.subtasks) == ("blocked", reason, ())


def test_call_notes_and_calls_to_action_are_not_phone_calls():
    assert choose_approach("Summarise call notes", None, "general").mode == "immediate"
    assert choose_approach("Write the call to action", None, "email").mode == "immediate"
