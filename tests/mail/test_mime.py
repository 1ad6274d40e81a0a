"""read_message builds the very tree the email package's FeedParser builds, for any bytes."""

from __future__ import annotations

import email
from email.message import Message
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import agent.mail.mime
from agent.mail.mime import read_message
from agent.mail.parse import POLICY

HEAD = "From: a@x.example\nTo: b@y.example\nSubject: hi\nMessage-ID: <1@x.example>\n"
ALTERNATIVE = (
    HEAD + 'MIME-Version: 1.0\nContent-Type: multipart/alternative; boundary="b1"\n\n'
    "preamble\n--b1\nContent-Type: text/plain; charset=utf-8\n\nplain \xfc text\n\n"
    '--b1  \nContent-Type: text/html\n\n<p>html</p>\n--b1--\nepilogue\n'
)
NESTED = (
    HEAD + 'Content-Type: multipart/mixed; boundary="outer"\n\n'
    '--outer\nContent-Type: multipart/alternative; boundary="outer1"\n\n'
    "--outer1\n\nno headers, default text/plain\n--outer1x not a delimiter\n--outer1--x nor this\n"
    "--outer1\nContent-Type: text/html\n\n<b>x</b>\n--outer1--\ninner epilogue\n"
    "--outer\nContent-Type: application/pdf; name=a.pdf\nContent-Disposition: attachment;\n"
    ' filename="a.pdf"\nContent-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n--outer--'
)
# Well-formed: read without FeedParser.
FAST = {
    "plain": HEAD + "\nBody line one.\nBody line two.\n",
    "plain, no final line end": HEAD + "\nBody",
    "folded header": HEAD + "X-Long: one\n\ttwo\n  three\n\nBody\n",
    "empty body": HEAD + "\n",
    "alternative": ALTERNATIVE,
    "nested": NESTED,
    "8-bit body": HEAD + "Content-Type: text/plain; charset=latin-1\n\ncaf\xe9\n",
}
# Not plainly well formed: FeedParser reads them, defects and all.
ODD = {
    "cr only": (HEAD + "\nBody\n").replace("\n", "\r"),
    "mixed line ends": HEAD.replace("\n", "\r\n") + "\nBody\n",
    "no blank line": HEAD + "Body without a separator\n",
    "no headers at all": "just some text\n",
    "empty": "",
    "continuation first": " folded\n" + HEAD + "\nBody\n",
    "unix from": "From someone Mon Nov 16 10:00:00 2026\n" + HEAD + "\nBody\n",
    "header without name": HEAD + ": nameless\n\nBody\n",
    "rfc822 part": HEAD + 'Content-Type: multipart/mixed; boundary="b"\n\n--b\n'
    "Content-Type: message/rfc822\n\n" + HEAD + "\ninner\n--b--\n",
    "digest": HEAD + 'Content-Type: multipart/digest; boundary="b"\n\n--b\n\n' + HEAD
    + "\nx\n--b--\n",
    "no boundary": HEAD + "Content-Type: multipart/mixed\n\nbody\n",
    "no start delimiter": HEAD + 'Content-Type: multipart/mixed; boundary="b"\n\nbody\n',
    "close before start": HEAD + 'Content-Type: multipart/mixed; boundary="b"\n\n--b--\n',
    "no close delimiter": HEAD + 'Content-Type: multipart/mixed; boundary="b"\n\n--b\n\nx\n',
    "repeated delimiter": HEAD + 'Content-Type: multipart/mixed; boundary="b"\n\n--b\n--b\n\n'
    "x\n--b--\n",
    "encoded multipart": HEAD + "Content-Transfer-Encoding: base64\n"
    'Content-Type: multipart/mixed; boundary="b"\n\n--b\n\nx\n--b--\n',
    "deep nesting": HEAD + "".join(f'Content-Type: multipart/mixed; boundary="b{n}"\n\n--b{n}\n'
                                   for n in range(100)) + "\nx\n"
    + "".join(f"--b{n}--\n" for n in reversed(range(100))),
    "outer delimiter inside": HEAD + 'Content-Type: multipart/mixed; boundary="o"\n\n--o\n'
    'Content-Type: multipart/alternative; boundary="i"\n\n--i\n\nx\n--o\n\ny\n--i--\n--o--\n',
}


def tree(msg: Message) -> Any:
    payload = msg._payload
    return (type(msg), msg._headers, msg._unixfrom, msg.preamble, msg.epilogue,
            msg.get_default_type(), [(type(d), str(d)) for d in msg.defects],
            [tree(p) for p in payload] if isinstance(payload, list) else payload)


def same_as_feedparser(data: bytes) -> None:
    assert tree(read_message(data, POLICY)) == tree(email.message_from_bytes(data, policy=POLICY))


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("name", sorted(FAST))
def test_well_formed_mail_is_read_without_feedparser(
    name: str, newline: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = FAST[name].replace("\n", newline).encode("latin-1")
    expected = tree(email.message_from_bytes(data, policy=POLICY))
    monkeypatch.setattr(agent.mail.mime.email, "message_from_bytes", None)  # never called
    assert tree(read_message(data, POLICY)) == expected


@pytest.mark.parametrize("name", sorted(ODD))
def test_odd_mail_is_left_to_feedparser(name: str) -> None:
    same_as_feedparser(ODD[name].encode("latin-1"))
    same_as_feedparser(ODD[name].replace("\n", "\r\n").encode("latin-1"))


def test_parts_and_edges() -> None:
    msg = read_message(NESTED.encode(), POLICY)
    inner, attachment = msg.get_payload()
    assert [p.get_content_type() for p in inner.get_payload()] == ["text/plain", "text/html"]
    assert inner.epilogue == "inner epilogue"
    assert "--outer1x not a delimiter" in inner.get_payload()[0].get_payload()
    assert attachment.get_filename() == "a.pdf" and msg.epilogue == ""
    alternative = read_message(ALTERNATIVE.encode("latin-1"), POLICY)
    assert alternative.preamble == "preamble" and alternative.epilogue == "epilogue\n"


LINES = st.sampled_from(["--b1", "--b1--", "--b1 ", "--b1x", "--outer", "--outer--", "--outer1",
                         "--outer1--", "", " ", "\t", "X: y", ":", "Content-Type: text/plain",
                         "Content-Type: multipart/mixed; boundary=b1", "text", "\r"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(base=st.sampled_from([ALTERNATIVE, NESTED]), newline=st.sampled_from(["\n", "\r\n"]),
       edits=st.lists(st.tuples(st.integers(0, 40), st.sampled_from(["insert", "delete", "copy"]),
                                LINES), max_size=4),
       cut=st.integers(0, 1000))
def test_edited_multiparts_read_as_feedparser_reads_them(
    base: str, newline: str, edits: list[tuple[int, str, str]], cut: int
) -> None:
    lines = base.split("\n")
    for at, action, line in edits:
        at %= len(lines)
        if action == "insert":
            lines.insert(at, line)
        elif action == "delete" and len(lines) > 1:
            del lines[at]
        else:
            lines.insert(at, lines[at])
    text = newline.join(lines)
    same_as_feedparser(text.encode("latin-1"))
    same_as_feedparser(text[: len(text) - cut].encode("latin-1"))
