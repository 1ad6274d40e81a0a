"""Machine mail is never a person: each kind is recognized with the header or sender that says
so, gets the right label, and a person's mail near the rules stays a person's."""

from __future__ import annotations

import pytest

from agent.mail.analyze import analyze
from agent.mail.machine import KINDS, is_machine_mail, machine_kind
from agent.mail.parse import parse_message
from tests.mail.helpers import OURS, check_invariants
from tests.mail.machine_corpus import PEOPLE, SAMPLES


@pytest.mark.parametrize(("name", "kind", "label", "raw"), SAMPLES, ids=[s[0] for s in SAMPLES])
def test_machine_mail_is_recognized_and_labelled(name: str, kind: str, label: str,
                                                 raw: bytes) -> None:
    msg = parse_message(raw)
    found = machine_kind(msg)
    assert found is not None and found[0] == kind and kind in KINDS
    assert is_machine_mail(msg) == f"{found[0]}: {found[1]}"
    facts = analyze(msg, OURS)
    check_invariants(msg, facts)
    assert facts.label.name == label, facts.label.reason
    assert facts.machine == is_machine_mail(msg)
    assert "machine mail" in facts.label.reason  # stored as the message's classification_reason
    assert not facts.signals and facts.human_request is None
    assert not facts.unsubscribe


def test_the_kinds_named_in_the_issue_have_samples() -> None:
    assert {kind for _, kind, _, _ in SAMPLES} >= set(KINDS) - {"delivery-report"}
    assert sum(1 for s in SAMPLES if s[1] == "auto-reply") >= 3


def test_the_issue_misreadings_are_gone() -> None:
    labels = {name: analyze(parse_message(raw), OURS).label for name, _, _, raw in SAMPLES}
    for name in ("dsn delivered", "dsn relayed", "dsn expanded"):
        assert labels[name].name != "complaint" and "delivery-success" in labels[name].reason
    for name in ("dsn delayed", "dsn delayed, outlook", "dsn delayed, no usable recipient"):
        assert labels[name].name != "order"
    assert "delayed" in labels["dsn delayed"].reason


def test_out_of_office_keeps_its_return_date() -> None:
    for name, _, label, raw in SAMPLES:
        if label == "out_of_office":
            facts = analyze(parse_message(raw), OURS)
            assert str(facts.out_of_office_until) == "2026-12-04", name


def test_an_auto_reply_is_still_signed_but_reports_and_lists_enrich_no_one() -> None:
    signed = ("Thanks.\n\nJane Doe\nSenior Underwriter\nLender Example Inc.\n"
              "Phone: +1 415 555 0100\n")
    from tests.mail.machine_corpus import _reply

    away = analyze(parse_message(_reply(60, Auto_Submitted="auto-replied", body=signed)), OURS)
    assert away.signature is not None
    listed = analyze(parse_message(_reply(61, List_Id="<l.lender.example>", body=signed)), OURS)
    assert listed.signature is None
    daemon = analyze(parse_message(_reply(62, From="noreply@lender.example", body=signed)), OURS)
    assert daemon.signature is None


@pytest.mark.parametrize(("name", "raw"), PEOPLE, ids=[p[0] for p in PEOPLE])
def test_a_person_is_not_machine_mail(name: str, raw: bytes) -> None:
    msg = parse_message(raw)
    assert is_machine_mail(msg) is None
    facts = analyze(msg, OURS)
    assert facts.machine is None and "machine mail" not in facts.label.reason


def test_outbound_mail_is_never_read_as_machine_mail() -> None:
    from tests.mail.helpers import mail

    ours = mail(From="Acme <info@acme-appraisals.example>", To="jane.doe@lender.example",
                Precedence="bulk", List_Id="<news.acme-appraisals.example>")
    assert analyze(parse_message(ours), OURS).machine is None
