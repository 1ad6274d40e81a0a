"""The quick header readings agree with the email package's parser whenever they answer."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.mail.headers import LINE_ENDS, quick_addresses, quick_date, quick_text
from agent.mail.parse import POLICY

TRICKY = list("abcXYZ09.-_@<>\"', ;:()[]\\\t=?\x00\x7f") + ["\udcc3", "é", "\r\n ", "=?utf-8?q?a?="]


def message(name: str, value: str):
    msg = POLICY.message_factory(policy=POLICY)
    msg.set_raw(name, value)
    return msg


def parsed(name: str, value: str):
    return POLICY.header_factory(name, LINE_ENDS.sub("", value))


def agrees(name: str, value: str) -> bool:
    """Whether the quick readings answered; each answer must be the parser's, defect-free."""
    msg = message(name, value)
    try:
        header = parsed(name, value)
    except Exception:  # the parser raises on some hostile values: then nothing is quick
        assert quick_text(msg, name) is None and quick_addresses(msg, name) is None
        return False
    text = quick_text(msg, name)
    if text is not None:
        assert text == " ".join(str(header).replace("\x00", "").split())
        assert not header.defects
    found = quick_addresses(msg, name) if name in ("from", "to", "cc", "sender") else None
    if found is not None:
        assert [(a.display_name, a.addr_spec) for a in found] == [
            (a.display_name, a.addr_spec) for a in header.addresses]
        assert not header.defects
    when = quick_date(msg) if name == "date" else None
    if when is not None:
        assert not header.defects and header.datetime is not None
        expected = header.datetime
        assert when == (expected.replace(tzinfo=UTC) if expected.tzinfo is None
                        else expected.astimezone(UTC))
    return text is not None or found is not None or when is not None


@pytest.mark.parametrize(("name", "value"), [
    ("subject", "Re: your order  ORD-1"),
    ("references", "<a@x.example>\r\n <b@y.example>"),
    ("message-id", " <abc.def@mail.example> "),
    ("date", "Mon, 16 Nov 2026 10:00:00 -0500"),
    ("date", "16 Nov 2026 10:00 GMT"),
    ("from", "Jane Doe <jane.doe@lender.example>"),
    ("from", '"Doe, Jane" <jane@lender.example>'),
    ("to", "a@x.example, Bob <b@y.example>,c@z.example"),
])
def test_plain_values_are_read_quickly(name: str, value: str) -> None:
    assert agrees(name, value)


@pytest.mark.parametrize(("name", "value"), [
    ("subject", "=?utf-8?q?caf=C3=A9?="),
    ("subject", "caf\udcc3\udca9"),
    ("message-id", "<a..b@x>"),
    ("message-id", "<no-at-sign>"),
    ("date", "yesterday"),
    ("date", ""),
    ("from", "J. Doe <j@x.example>"),
    ("from", "Jane (work) <j@x.example>"),
    ("from", '"Jane \\"JD\\" Doe" <j@x.example>'),
    ("from", "=?utf-8?q?Ren=C3=A9?= <r@x.example>"),
    ("to", "undisclosed-recipients:;"),
    ("to", "a@x.example,, b@y.example"),
    ("to", "a@[127.0.0.1]"),
    ("to", ""),
    ("content-type", "text/plain; charset=utf-8"),
])
def test_other_values_are_left_to_the_parser(name: str, value: str) -> None:
    assert not agrees(name, value)


MAILBOX = st.builds(
    lambda name, sep, addr: f"{name}{sep}<{addr}>" if name else addr,
    st.sampled_from(["", "John", "John Smith", " John  Smith ", '"Smith, John"', '"  A  B "',
                     '""', "J.", "O'Neil", '"x"y', "a-b"]),
    st.sampled_from(["", " ", "  ", "\t"]),
    st.sampled_from(["a@b.example", "a.b@c.example", "a..b@c", ".a@b", "A+x@B.EXAMPLE", "a@b.",
                     "ab", "a@b"]),
)


@settings(max_examples=400, deadline=None)
@given(name=st.sampled_from(["from", "to", "cc"]), mailboxes=st.lists(MAILBOX, min_size=1,
       max_size=3), comma=st.sampled_from([",", ", ", " , ", ",,"]))
def test_address_lists_agree(name: str, mailboxes: list[str], comma: str) -> None:
    agrees(name, comma.join(mailboxes))


@settings(max_examples=400, deadline=None)
@given(name=st.sampled_from(["subject", "references", "message-id", "date", "from", "to"]),
       value=st.lists(st.sampled_from(TRICKY), max_size=30).map("".join))
def test_any_value_agrees(name: str, value: str) -> None:
    agrees(name, value)


def test_dates_are_utc() -> None:
    msg = message("date", "Mon, 16 Nov 2026 10:00:00 -0500")
    assert quick_date(msg) == datetime(2026, 11, 16, 15, 0, tzinfo=UTC)
