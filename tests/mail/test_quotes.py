"""Reply and quote separation per mail client (tests/mail/reply_corpus.py), through parsing and
analysis as ingest runs them: the sender's own text keeps nothing quoted, and the signature's
phone, title, company, LinkedIn and address never come from the quoted part."""

from __future__ import annotations

from email.utils import formataddr

import pytest

from agent.mail.analyze import analyze
from agent.mail.html import html_text, html_to_text
from agent.mail.parse import parse_message
from agent.mail.quotes import is_attribution, unquoted
from tests.mail.helpers import mail
from tests.mail.reply_corpus import CASES, LEAKS, Reply

OURS = ["acme-appraisals.example"]


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _raw(case: Reply) -> bytes:
    kind = "html" if case.html else "plain"
    return mail(case.body, From=formataddr((case.sender.name or "", case.sender.email), "utf-8"),
                Subject="Re: Order", Content_Type=f"text/{kind}; charset=utf-8",
                Content_Transfer_Encoding="8bit", MIME_Version="1.0")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_own_text(case: Reply) -> None:
    msg = parse_message(_raw(case))
    own = unquoted(msg.body_text if msg.own_text is None else msg.own_text)
    assert _lines(own) == _lines(case.own)
    assert not [leak for leak in LEAKS if leak in own.lower()]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_signature_never_from_the_quote(case: Reply) -> None:
    facts = analyze(parse_message(_raw(case)), OURS)
    info = facts.signature
    if case.signature is None:
        assert info is None
        return
    assert info is not None
    assert {k: getattr(info, k) for k in case.signature} == case.signature
    assert not [leak for leak in LEAKS if leak in info.evidence.lower()]
    assert info.phone != "+12145550100" and info.linkedin_url != \
        "https://www.linkedin.com/in/bob-stone"


@pytest.mark.parametrize("case", [c for c in CASES if c.html], ids=lambda c: c.name)
def test_html_body_keeps_the_whole_page(case: Reply) -> None:
    """body_text stays the whole message (stored, searched); only analysis reads own_text."""
    msg = parse_message(_raw(case))
    assert msg.body_text == html_to_text(case.body)
    assert msg.own_text is None or "acme" in msg.body_text.lower()


def test_unmarked_html_has_no_own_text() -> None:
    page = html_text("<p>Hello,</p><div>Tuesday works.<br>Jane</div>")
    assert page.own is None and page.text == "Hello,\n\nTuesday works.\nJane"


def test_private_use_characters_in_the_page_switch_marking_off() -> None:
    page = html_text("<p>\ue000 logo</p><div class=\"gmail_quote\">On Mon wrote:<br>old</div>")
    assert page.own is None and "old" in page.text


def test_a_reply_below_a_quote_is_kept_plain_and_html() -> None:
    plain = "On Mon, Nov 16, 2026 at 9:00 AM Bob <bob@x.example> wrote:\n> question\n\nanswer\n"
    assert unquoted(plain) == "answer"
    page = html_text("<blockquote type=\"cite\">question</blockquote><p>answer</p>")
    assert page.own == "answer"


def test_attribution_before_an_unmarked_quote_cuts_the_rest() -> None:
    text = "Yes.\n\nOn Mon, Nov 16, 2026 at 9:00 AM Bob <bob@x.example> wrote:\n\nquestion\n"
    assert unquoted(text) == "Yes."


@pytest.mark.parametrize("line", [
    "On Mon, Nov 16, 2026 at 9:00 AM Bob Stone <bob@x.example> wrote:",
    "Am 16.11.2026 um 09:00 schrieb Bob Stone:",
    "Le lun. 16 nov. 2026 à 09:00, Bob Stone <bob@x.example> a écrit :",
    "El lun, 16 nov 2026 a las 9:00, Bob Stone (<bob@x.example>) escribió:",
    "Op ma 16 nov. 2026 om 09:00 schreef Bob Stone <bob@x.example>:",
    "Il giorno lun 16 nov 2026 alle ore 09:00 Bob Stone <bob@x.example> ha scritto:",
    "Em seg., 16 de nov. de 2026 às 09:00, Bob Stone <bob@x.example> escreveu:",
    "16.11.2026 9:00, Bob Stone пишет:",
    "В понедельник, 16 ноября 2026 г. в 9:00 Bob Stone <bob@x.example> написал(а):",
    "pon., 16 lis 2026 o 09:00 Bob Stone <bob@x.example> napisał(a):",
    "Den mån 16 nov. 2026 kl 09:00 skrev Bob Stone <bob@x.example>:",
])
def test_attribution_lines_in_several_languages(line: str) -> None:
    assert is_attribution(line, quote_follows=False)


@pytest.mark.parametrize("line", [
    "Here is what the inspector wrote:", "Schedule for 16.11.2026:", "Notes: see below",
])
def test_ordinary_lines_are_no_attribution(line: str) -> None:
    assert not is_attribution(line, quote_follows=False)


def test_a_lone_from_line_is_no_header_block() -> None:
    text = "From: the sales team, with thanks.\n\nThe new rates apply on Monday.\n"
    assert unquoted(text) == text.strip()
