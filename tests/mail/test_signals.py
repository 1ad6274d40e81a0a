"""Human requests, out-of-office, unsubscribe, opportunity signals, references and mail loops."""

from __future__ import annotations

from datetime import date

import pytest

from agent.mail.analyze import analyze
from agent.mail.parse import parse_message
from agent.mail.references import find_references
from agent.mail.signals import (
    STRENGTHS,
    human_request,
    is_ours,
    opportunity_signals,
    return_date,
)
from tests.mail.helpers import OURS, mail


@pytest.mark.parametrize("text, action", [
    ("Can you call me Thursday around 2pm?", "call"),
    ("Please give me a call when you get this.", "call"),
    ("Could you please call me about the panel?", "call"),
    ("If possible, can someone call us tomorrow?", "call"),
    ("Could we schedule a meeting next week?", "meeting"),
    ("Can someone come out to the property on Friday?", "visit"),
    ("Could you send an appraiser out to re-measure?", "visit"),
    ("Call me back at 512-555-0100.", "callback"),
    ("Please return my call, it's about ORD-10001.", "callback"),
])
def test_human_request_positive(text: str, action: str) -> None:
    request = human_request(text)
    assert request is not None and request.action == action
    assert request.evidence and request.evidence in text


@pytest.mark.parametrize("text", [
    "I called yesterday but nobody picked up.",
    "No need to call, email is fine.",
    "You don't need to call me back.",
    "We should call them about the renewal.",
    "Don't hesitate to call me at 512-555-0100 with questions.",
    "If you have any questions, please call me.",
    "Can you tell me where ORD-10048 stands?",
    "The homeowner said the inspector can call her directly.",
])
def test_human_request_negative(text: str) -> None:
    assert human_request(text) is None


@pytest.mark.parametrize("text, expected", [
    ("I am out of the office until Monday, November 30, 2026 with limited access.",
     date(2026, 11, 30)),
    ("I will be back on December 2.", date(2026, 12, 2)),
    ("I return on 12/02/2026.", date(2026, 12, 2)),
    ("Away until Monday, Dec 1.", date(2026, 12, 1)),
    ("I'll be back in the office on Monday.", date(2026, 11, 30)),
    ("Back on January 5, happy holidays!", date(2027, 1, 5)),
    ("Returning 2026-12-07.", date(2026, 12, 7)),
    ("I am away with no access to email.", None),
    ("I'll get back to you on Dec 3.", None),
])
def test_return_date(text: str, expected: date | None) -> None:
    assert return_date(text, date(2026, 11, 24)) == expected


def test_return_date_without_year_needs_the_message_date() -> None:
    assert return_date("back on December 2", None) is None
    assert return_date("back on December 2, 2026", None) == date(2026, 12, 2)


def test_out_of_office_from_headers_and_body() -> None:
    msg = parse_message(mail("Thank you for your email. I am on vacation and will be back on "
                             "December 2.\n", Subject="Re: Checking in",
                             Auto_Submitted="auto-replied", Date="Tue, 24 Nov 2026 08:00:00 -0500"))
    facts = analyze(msg, OURS)
    assert facts.out_of_office and facts.out_of_office_until == date(2026, 12, 2)
    assert facts.label.name == "out_of_office" and "on vacation" in facts.label.reason
    assert facts.signals == [] and facts.human_request is None


def test_out_of_office_subject_only() -> None:
    facts = analyze(parse_message(mail("Limited email this week.\n",
                                       Subject="Out of Office: Quote Q-2001")), OURS)
    assert facts.out_of_office and facts.out_of_office_until is None


def test_person_mentioning_vacation_is_not_out_of_office() -> None:
    facts = analyze(parse_message(mail("I'll be on vacation next week, so please send the "
                                       "report today.\n")), OURS)
    assert not facts.out_of_office


@pytest.mark.parametrize("subject, body", [
    ("Unsubscribe", "."),
    ("Remove me", "Thanks."),
    ("Re: Checking in", "Please remove me from your mailing list."),
    ("Re: Checking in", "Stop emailing me."),
    ("Re: Checking in", "I'd like to opt out of these messages."),
    ("Re: Checking in", "Please do not email me again."),
    ("Re: Checking in", "I wish to unsubscribe."),
])
def test_unsubscribe_positive(subject: str, body: str) -> None:
    facts = analyze(parse_message(mail(body + "\n", Subject=subject)), OURS)
    assert facts.unsubscribe and facts.label.name == "unsubscribe"


@pytest.mark.parametrize("subject, body, extra", [
    ("Monthly update", "News.\nTo unsubscribe, click here.", {}),
    ("Monthly update", "News. If you wish to unsubscribe, reply STOP.", {}),
    ("Monthly update", "If you no longer want these, you can unsubscribe here.", {}),
    ("Digest", "To subscribe or unsubscribe via the web, visit the list page.", {}),
    ("Monthly update", "Rates are up.\nUnsubscribe: https://x.example/unsubscribe?u=1",
     {"List_Unsubscribe": "<https://x.example/u>"}),
    ("Re: Checking in", "Thanks, the files are coming.", {"List_Unsubscribe": "<mailto:u@x>"}),
    ("Re: Checking in", "I don't want to unsubscribe, keep the updates coming.", {}),
    ("Re: Checking in", "Please don't remove me from your list.", {}),
])
def test_unsubscribe_negative(subject: str, body: str, extra: dict[str, str]) -> None:
    assert not analyze(parse_message(mail(body + "\n", Subject=subject, **extra)), OURS).unsubscribe


@pytest.mark.parametrize("kind, text, phrase", [
    ("complaint", "I am very disappointed with the report on 12 Oak St.", "very disappointed"),
    ("urgency", "The closing is Friday so we need this ASAP please.", "ASAP"),
    ("upsell", "Do you also offer desk reviews for our second-lien files?", "Do you also offer"),
    ("renewal", "We should talk about the renewal of our vendor agreement.", "renewal"),
    ("referral", "Karen at First Harbor referred me to you for a rush job.", "referred"),
])
def test_each_opportunity_signal(kind: str, text: str, phrase: str) -> None:
    facts = analyze(parse_message(mail(text + "\n")), OURS)
    (signal,) = [s for s in facts.signals if s.kind == kind]
    assert signal.strength == STRENGTHS[kind]
    assert phrase in signal.evidence and len(signal.evidence) <= len(phrase) + 100
    assert opportunity_signals("", text)[kind].phrase == phrase


def test_signal_strengths_match_the_domain() -> None:
    assert STRENGTHS == {"complaint": 0.8, "urgency": 0.7, "upsell": 0.6, "renewal": 0.7,
                         "referral": 0.6}


@pytest.mark.parametrize("text", ["No complaints at all, great job.",
                                  "Please refer to the attached engagement letter.",
                                  "If you have any complaints, let us know."])
def test_negated_or_unrelated_phrases_are_not_signals(text: str) -> None:
    assert opportunity_signals("", text) == {}


def test_quoted_text_and_signature_give_no_signals() -> None:
    body = ("Thanks, got it.\n\n-- \nUrgent Care Realty Group\n\n> We are very disappointed.\n")
    assert analyze(parse_message(mail(body)), OURS).signals == []


def test_references_subject_first_dedupe_and_forms() -> None:
    refs = find_references("Re: ORD-10041 and quote #2001",
                           "About order #12345, ord-10041 again, Q-2002 and order no. 777.")
    assert [(r.kind, r.number) for r in refs] == [
        ("order", "ORD-10041"), ("quote", "2001"), ("order", "12345"), ("quote", "Q-2002"),
        ("order", "777")]
    assert refs[0].rule == "ORD-number in subject"
    assert refs[1].rule == "'quote #' number in subject"
    assert refs[2].rule == "'order #' number in body"


def test_no_references() -> None:
    assert find_references("Hello", "We ordered lunch. Quote of the day: 12.") == []


def test_loop_our_own_auto_reply_coming_back() -> None:
    msg = parse_message(mail("I am out of the office.\n", From="ops@acme-appraisals.example",
                             Auto_Submitted="auto-replied"))
    reason = analyze(msg, OURS).loop_suspected
    assert reason == "automatic message from our own address ops@acme-appraisals.example"


def test_loop_auto_reply_answering_an_auto_reply() -> None:
    msg = parse_message(mail("Away.\n", Subject="Automatic reply: Auto: Out of office",
                             Auto_Submitted="auto-replied",
                             In_Reply_To="<auto.1@acme-appraisals.example>"))
    reason = analyze(msg, OURS).loop_suspected
    assert reason is not None and "answering an auto-reply" in reason


def test_ordinary_auto_reply_is_not_a_loop() -> None:
    msg = parse_message(mail("Away.\n", Subject="Automatic reply: Checking in",
                             Auto_Submitted="auto-replied",
                             In_Reply_To="<out.1@acme-appraisals.example>"))
    assert analyze(msg, OURS).loop_suspected is None


def test_is_ours_domains_and_addresses() -> None:
    own = ["acme-appraisals.example", "owner@gmail.example"]
    assert is_ours("Bob@Acme-Appraisals.example", own)
    assert is_ours("x@mail.acme-appraisals.example", own)
    assert is_ours("owner@gmail.example", own)
    assert not is_ours("someone@gmail.example", own)
    assert is_ours("abc123@gmail.example", own, message_id=True)
    assert not is_ours("abc@mail.gmail.example", own, message_id=True)
    assert not is_ours("x@notacme-appraisals.example", own)
