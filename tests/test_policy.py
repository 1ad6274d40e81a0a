"""The policy engine's rules, one by one, on plain data (no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from agent.actions import Action, action_key
from agent.killswitch import KillState
from agent.policy import PolicyState, evaluate, next_window_open, window_start
from agent.settings import TenantSettings

# A Tuesday, 15:00 UTC = 10:00 in Chicago: inside the default 08-18 weekday window.
NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def act(kind: str, target: str | None = "ann@client.example", **payload) -> Action:
    return Action(
        kind=kind, target=target, payload=payload, idempotency_key=action_key(kind, target, "t")
    )


def state(**overrides) -> PolicyState:
    settings = overrides.pop("settings", TenantSettings())
    return PolicyState(settings=settings, timezone="America/Chicago", **overrides)


def decide(action: Action, **overrides):
    return evaluate(action, state(**overrides), NOW)


def test_a_cadence_follow_up_to_a_reachable_contact_is_allowed():
    decision = decide(act("follow_up", cadence="engagement"))
    assert (decision.outcome, decision.rule) == ("allow", "allowed")


@pytest.mark.parametrize(
    ("action", "rule"),
    [
        (Action(kind="teleport", target="x", idempotency_key="k"), "invalid_action"),
        (Action(kind="follow_up", target=None, idempotency_key="k"), "invalid_action"),
        (Action(kind="follow_up", target="not-an-address", idempotency_key="k"), "invalid_address"),
        (Action(kind="send_email", target="a@@b.example", idempotency_key="k"), "invalid_address"),
    ],
)
def test_malformed_actions_are_blocked_with_the_reason(action, rule):
    decision = decide(action)
    assert (decision.outcome, decision.rule) == ("block", rule)
    assert decision.reason


def test_a_kill_switch_defers_everything_and_keeps_it():
    decision = decide(act("follow_up"), kill=KillState(True, "global (database)", "incident"))
    assert (decision.outcome, decision.rule) == ("defer", "kill_switch")
    assert "incident" in decision.reason


class TestRule1HumanTasks:
    def test_without_a_basis_is_blocked(self):
        decision = decide(act("create_task", None))
        assert (decision.outcome, decision.rule) == ("block", "no_human_tasks")

    def test_a_client_request_must_point_at_an_open_request_signal(self):
        asked = act("create_task", None, basis="client_request", signal_id=7)
        assert decide(asked, request_signals=frozenset({7})).outcome == "allow"
        assert decide(asked, request_signals=frozenset({8})).rule == "no_human_tasks"
        forged = act("create_task", None, basis="client_request", signal_id=True)
        assert decide(forged, request_signals=frozenset({1})).rule == "no_human_tasks"

    def test_a_due_compliance_deadline_allows_it(self):
        due = act("create_task", None, basis="compliance_due", compliance_id=3)
        assert decide(due, compliance_due=frozenset({3})).outcome == "allow"
        assert decide(due).outcome == "block"

    def test_a_safety_escalation_needs_its_reason(self):
        assert decide(act("create_task", None, basis="safety_escalation")).outcome == "block"
        escalation = act(
            "create_task", None, basis="safety_escalation", escalation_reason="3 fails"
        )
        assert decide(escalation).outcome == "allow"


class TestRule2Research:
    def test_blocked_while_anyone_is_past_the_engagement_touch(self):
        decision = decide(
            act("research", "new roofers"), engagement_violations=4, goals_behind=True
        )
        assert (decision.outcome, decision.rule) == ("block", "research_after_engagement")
        assert "4 contact(s)" in decision.reason

    def test_blocked_when_goals_are_on_pace_and_pipeline_healthy(self):
        decision = decide(act("research", "new roofers"))
        assert decision.rule == "research_not_needed"

    @pytest.mark.parametrize("need", [{"goals_behind": True}, {"pipeline_thin": True}])
    def test_allowed_when_follow_ups_are_done_and_it_is_needed(self, need):
        assert decide(act("research", "new roofers"), **need).outcome == "allow"

    def test_contact_discovery_from_own_mail_is_always_allowed(self):
        decision = decide(act("contact_discovery", "inbox"), engagement_violations=10)
        assert decision.outcome == "allow"


class TestRule3NoSpam:
    def test_suppressed_addresses_never_get_mail(self):
        decision = decide(act("follow_up"), suppressed={"ann@client.example": "hard_bounce"})
        assert (decision.outcome, decision.rule) == ("block", "suppressed")
        assert "hard_bounce" in decision.reason

    def test_suppression_matches_whatever_the_case(self):
        decision = decide(
            act("follow_up", "Ann@Client.Example"), suppressed={"ann@client.example": "opt_out"}
        )
        assert decision.rule == "suppressed"

    def test_minimum_gap_between_touches_defers_until_the_gap_has_passed(self):
        last = NOW - timedelta(hours=10)
        decision = decide(act("follow_up"), last_touch={"ann@client.example": last})
        assert (decision.outcome, decision.rule) == ("defer", "min_touch_gap")
        assert decision.not_before == last + timedelta(hours=48)

    def test_a_touch_older_than_the_gap_does_not_hold_it(self):
        last = NOW - timedelta(hours=49)
        assert decide(act("follow_up"), last_touch={"ann@client.example": last}).outcome == "allow"

    def test_out_of_office_defers_until_the_day_after_return(self):
        decision = decide(act("follow_up"), ooo_until={"ann@client.example": date(2026, 11, 26)})
        assert decision.rule == "out_of_office"
        assert decision.not_before.date() == date(2026, 11, 27)

    def test_night_defers_to_the_next_morning_in_the_tenants_timezone(self):
        night = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)  # 21:00 Tuesday in Chicago
        decision = evaluate(act("follow_up"), state(), night)
        assert decision.rule == "send_window"
        assert decision.not_before.isoformat() == "2026-11-25T08:00:00-06:00"

    def test_weekends_wait_for_monday_unless_configured(self):
        saturday = datetime(2026, 11, 28, 16, 0, tzinfo=UTC)
        decision = evaluate(act("follow_up"), state(), saturday)
        assert decision.not_before.isoformat() == "2026-11-30T08:00:00-06:00"
        weekends = TenantSettings(send_window={"weekends": True})
        assert evaluate(act("follow_up"), state(settings=weekends), saturday).outcome == "allow"

    def test_internal_only_blocks_addresses_off_the_allowlist(self):
        settings = TenantSettings(
            send_mode="internal_only",
            allowlist=["client.example", "bo@x.example"],
            from_address="office@x.example",
        )
        assert decide(act("follow_up"), settings=settings).outcome == "allow"
        assert decide(act("follow_up", "bo@x.example"), settings=settings).outcome == "allow"
        decision = decide(act("follow_up", "al@x.example"), settings=settings)
        assert (decision.outcome, decision.rule) == ("block", "send_mode")


class TestRule4AndTiers:
    @pytest.mark.parametrize(
        "action",
        [
            act("social_post", "linkedin"),
            act("newsletter", "all-clients"),
            act("payment_change", "invoice 12"),
            act("delete_record", "contact 9"),
            act("seo_change", "site", bulk=True),
        ],
    )
    def test_sensitive_actions_are_never_automatic(self, action):
        decision = decide(action)
        assert (decision.outcome, decision.rule) == ("approval", "sensitive_action")

    def test_a_tenant_cannot_make_a_sensitive_kind_automatic(self):
        settings = TenantSettings(approvals={"social_post": "auto"})
        assert decide(act("social_post", "linkedin"), settings=settings).rule == "sensitive_action"

    def test_a_customer_email_outside_a_cadence_needs_approval(self):
        decision = decide(act("send_email"))
        assert (decision.outcome, decision.rule) == ("approval", "approval_tier")

    def test_faq_replies_and_cadence_emails_are_automatic(self):
        assert decide(act("send_email", faq=True)).outcome == "allow"
        assert decide(act("send_email", cadence="quote")).outcome == "allow"

    def test_tiers_are_configurable_per_kind(self):
        settings = TenantSettings(approvals={"follow_up": "approval", "send_email": "auto"})
        assert decide(act("follow_up"), settings=settings).outcome == "approval"
        assert decide(act("send_email"), settings=settings).outcome == "allow"

    def test_a_proposer_asking_for_a_person_gets_one_whatever_the_tier(self):
        settings = TenantSettings(approvals={"send_email": "auto"})
        asked = act("send_email", faq=True, approval_requested="task 7 is semi-automated")
        decision = decide(asked, settings=settings)
        assert (decision.outcome, decision.rule, decision.reason) == (
            "approval",
            "approval_requested",
            "task 7 is semi-automated",
        )
        approved = asked.model_copy(update={"approved_by": "cli:kenny"})
        assert decide(approved, settings=settings).outcome == "allow"

    def test_an_approved_action_passes_the_tier_but_not_the_other_rules(self):
        approved = act("send_email").model_copy(update={"approved_by": "cli:kenny"})
        assert decide(approved).outcome == "allow"
        blocked = decide(approved, suppressed={"ann@client.example": "opt_out"})
        assert blocked.rule == "suppressed"


def test_a_full_bucket_defers_to_the_next_window():
    decision = decide(act("follow_up"), usage={("email", "hour"): 10})
    assert (decision.outcome, decision.rule) == ("defer", "rate_limit")
    assert decision.not_before == datetime(2026, 11, 24, 16, 0, tzinfo=UTC)
    daily = decide(act("follow_up"), usage={("email", "day"): 50})
    assert daily.not_before.isoformat() == "2026-11-25T00:00:00-06:00"


def test_a_deferral_behind_others_waits_for_its_turn_of_the_cap():
    behind = decide(act("follow_up"), usage={("email", "hour"): 10},
                    waiting={("email", "hour"): 25})
    assert behind.not_before == datetime(2026, 11, 24, 18, 0, tzinfo=UTC)
    assert "25 waiting before it" in behind.reason
    daily = decide(act("follow_up"), usage={("email", "day"): 50}, waiting={("email", "day"): 50})
    assert daily.not_before.isoformat() == "2026-11-26T00:00:00-06:00"


def test_window_helpers_use_the_tenants_day():
    from zoneinfo import ZoneInfo

    chicago = ZoneInfo("America/Chicago")
    assert window_start("day", NOW, chicago).isoformat() == "2026-11-24T00:00:00-06:00"
    assert next_window_open(NOW, TenantSettings(), chicago) is None


ADDRESSES = [
    "kelly.garcia@kennedyshire-realty-group.example", "Ab@B.COM", "a+b@c.d", "o'neil@x.com",
    "a{b}@c.com", "-a@b.com", "a_b@c.com", "a@1.com", "a@123.com", "a@b.co-m",
    "a@" + "b" * 63 + ".com", "a@" + "b" * 64 + ".com", "x" * 64 + "@b.com", "x" * 65 + "@b.com",
    "a@" + ".".join(["abcdefghi"] * 26) + ".com", "a..b@c.com", ".a@b.com", "a.@b.com",
    "a@c.com.", "a@-b.com", "a@b-.com", "a@b.c1", "a@b.123", "a@b", "x@localhost",
    "x@foo.test", "a@b.local", "a@b.arpa", "a@b.onion", "a@b.invalid", "a@test", "a@ab--cd.com",
    "a@xn--bcher-kva.com", "a@xn--invalid.com", "a@b_c.com", "a b@c.com", "a@b c.com",
    "\"a\"@b.com", "a@[127.0.0.1]", "jöe@b.com", "a@bü.com", "a@b.com\n", " a@b.com", "@b.com",
    "a@", "", "a@@b.com",
]


@pytest.mark.parametrize("address", ADDRESSES)
def test_the_plain_address_shortcut_agrees_with_email_validator(address):
    """The regular expression only ever accepts what email_validator accepts."""
    from email_validator import EmailNotValidError, validate_email

    from agent.policy import _plain

    try:
        validate_email(address, check_deliverability=False)
        valid = True
    except EmailNotValidError:
        valid = False
    assert not _plain(address) or valid


@pytest.mark.parametrize("address", ADDRESSES[:11])
def test_common_addresses_take_the_shortcut(address):
    from agent.policy import _plain

    assert _plain(address) == (address not in ("a+b@c.d", "a@b.co-m"))
