"""parse_message never raises, and recovers what it can from broken mail."""

from __future__ import annotations

import email
import hashlib
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.mail.analyze import analyze
from agent.mail.parse import parse_message
from tests.mail.helpers import OURS, check_invariants, mail

CORPUS = Path(email.__file__).parent.parent / "test" / "test_email" / "data"
CORPUS_FILES = sorted(CORPUS.glob("msg_*.txt")) if CORPUS.is_dir() else []


@pytest.mark.skipif(not CORPUS_FILES, reason=f"CPython email test corpus not installed ({CORPUS})")
@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
def test_cpython_email_corpus(path: Path) -> None:
    msg = parse_message(path.read_bytes())
    check_invariants(msg, analyze(msg, OURS))


def test_plain_message_fields() -> None:
    raw = mail("Body text\n", From="=?utf-8?q?Ren=C3=A9_Dupont?= <Rene.Dupont@Lender.EXAMPLE>",
               Cc="Bob <bob@x.example>, not an address, <>",
               In_Reply_To="<out.1@acme-appraisals.example>",
               References="<root@acme-appraisals.example> <out.1@acme-appraisals.example>",
               Auto_Submitted="Auto-Replied", List_Id="<Lenders.List.example>")
    msg = parse_message(raw)
    assert msg.sender is not None and msg.sender.name == "René Dupont"
    assert msg.sender.email == "rene.dupont@lender.example"
    assert [a.email for a in msg.cc] == ["bob@x.example"]
    assert any("skipped invalid address" in e for e in msg.errors)
    assert msg.message_key == "m1@lender.example"
    assert msg.in_reply_to == "out.1@acme-appraisals.example"
    assert msg.thread_key == "root@acme-appraisals.example"
    assert msg.sent_at == datetime(2026, 11, 16, 15, 0, tzinfo=UTC)
    assert msg.headers["auto-submitted"] == "auto-replied"
    assert msg.headers["list-id"] == "<lenders.list.example>"
    assert msg.body_text == "Body text\n" and not msg.fatal


def test_thread_key_falls_back_to_in_reply_to_then_key() -> None:
    assert parse_message(mail(In_Reply_To="<p@x>")).thread_key == "p@x"
    assert parse_message(mail()).thread_key == "m1@lender.example"


def test_message_id_whitespace_and_brackets_stripped() -> None:
    assert parse_message(mail(Message_ID="  < abc@x.example >  ")).message_key == "abc@x.example"


def test_missing_message_id_gives_stable_content_key() -> None:
    lf = mail("Line one\nLine two\n", Message_ID=None)
    crlf = mail("Line one\nLine two\n", Message_ID=None, newline="\r\n")
    first, again, windows = parse_message(lf), parse_message(lf), parse_message(crlf)
    expected = hashlib.sha256(lf).hexdigest()
    assert first.message_key == f"sha256:{expected}" == again.message_key == windows.message_key
    assert first.content_hash == windows.content_hash == expected
    assert parse_message(mail("Other\n", Message_ID=None)).message_key != first.message_key


def test_unusable_message_id_falls_back_to_hash() -> None:
    msg = parse_message(mail(Message_ID="<>"))
    assert msg.message_key.startswith("sha256:")


def test_duplicate_message_id_with_different_content() -> None:
    one, two = parse_message(mail("First\n")), parse_message(mail("Second\n"))
    assert one.message_key == two.message_key == "m1@lender.example"
    assert one.content_hash != two.content_hash


def test_missing_and_bad_dates() -> None:
    missing = parse_message(mail(Date=None))
    assert missing.sent_at is None and "no Date header" in missing.errors
    garbage = parse_message(mail(Date="the day after tomorrow"))
    assert garbage.sent_at is None and any("Date" in e for e in garbage.errors)
    naive = parse_message(mail(Date="Mon, 16 Nov 2026 10:00:00 -0000"))
    assert naive.sent_at == datetime(2026, 11, 16, 10, tzinfo=UTC)
    edge = parse_message(mail(Date="Fri, 31 Dec 9999 23:59:00 -0100"))
    assert edge.sent_at is None and not edge.fatal and any("out of range" in e for e in edge.errors)


def test_return_date_at_the_end_of_time() -> None:
    msg = parse_message(mail("I am away, back Monday.\n", Subject="Out of office",
                             Date="Fri, 31 Dec 9999 10:00:00 +0000"))
    facts = analyze(msg, OURS)
    assert facts.out_of_office and facts.out_of_office_until is None


def test_unknown_charset_falls_back() -> None:
    msg = parse_message(mail("caf\u00e9\n", Content_Type="text/plain; charset=x-unknown"))
    assert msg.body_text == "café\n"
    assert any("unknown charset" in e for e in msg.errors)


def test_wrong_charset_latin1_declared_utf8() -> None:
    raw = mail("PLACEHOLDER\n", Content_Type="text/plain; charset=utf-8")
    msg = parse_message(raw.replace(b"PLACEHOLDER", "Café résumé".encode("latin-1")))
    assert msg.body_text == "Café résumé\n"
    assert any("not valid 'utf-8'" in e for e in msg.errors)


def test_raw_8bit_headers() -> None:
    raw = mail(Subject="SUBJ", From="NAME <m@x.example>")
    raw = raw.replace(b"SUBJ", "Café order".encode()).replace(b"NAME", "Müller".encode("latin-1"))
    msg = parse_message(raw)
    assert msg.subject == "Café order"
    assert msg.sender is not None and msg.sender.name == "Müller"


def test_broken_mime_boundaries_keep_text() -> None:
    body = "--wrong\nContent-Type: text/plain\n\nThe order is ready.\n--wrong--\n"
    msg = parse_message(mail(body, Content_Type='multipart/mixed; boundary="right"'))
    assert "The order is ready." in msg.body_text
    assert any("defect" in e for e in msg.errors) and not msg.fatal


def test_missing_closing_boundary_and_bad_base64() -> None:
    body = ("--b\nContent-Type: text/plain\n\nFirst part\n--b\nContent-Type: application/pdf\n"
            "Content-Transfer-Encoding: base64\nContent-Disposition: attachment; filename=a.pdf\n"
            "\n!!!not base64***\n")
    msg = parse_message(mail(body, Content_Type='multipart/mixed; boundary="b"'))
    assert msg.body_text.startswith("First part")
    assert [a.filename for a in msg.attachments] == ["a.pdf"]
    assert msg.errors


def _with_attachment(size: int) -> bytes:
    payload = email.message.EmailMessage()
    payload["From"], payload["Subject"] = "jane@lender.example", "Contract"
    payload.set_content("See attached.")
    payload.add_attachment(b"%PDF" + b"x" * (size - 4), maintype="application", subtype="pdf",
                           filename="contract.pdf")
    return payload.as_bytes()


def test_attachment_over_limit_is_dropped_with_error() -> None:
    big = parse_message(_with_attachment(5000), max_attachment_bytes=1000)
    (attachment,) = big.attachments
    assert attachment.data is None and attachment.size == 5000
    assert any("contract.pdf" in e and "over the 1000" in e for e in big.errors)
    small = parse_message(_with_attachment(500), max_attachment_bytes=1000)
    assert small.attachments[0].data is not None and len(small.attachments[0].data) == 500
    assert small.body_text.strip() == "See attached."


def test_html_only_mail_becomes_text() -> None:
    html = ("<html><head><style>p {color: red}</style><script>alert(1)</script></head><body>"
            "<p>Hi team,</p><div>Line one<br>Line two</div></body></html>")
    msg = parse_message(mail(html, Content_Type="text/html; charset=utf-8"))
    assert msg.body_text == "Hi team,\n\nLine one\nLine two"


def test_long_and_deep_html() -> None:
    """Thousands of paragraphs, or divs nested thousands deep: converted, in linear time."""
    long = parse_message(mail("<p>row</p>" * 20000, Content_Type="text/html"))
    assert long.body_text.count("row") == 20000
    deep = parse_message(mail("<div>" * 5000 + "bottom", Content_Type="text/html"))
    assert deep.body_text == "bottom"


def test_deeply_nested_multipart() -> None:
    depth = 400
    body = "".join(f"--b{i}\nContent-Type: multipart/mixed; boundary=b{i + 1}\n\n"
                   for i in range(depth)) + f"--b{depth}\nContent-Type: text/plain\n\ninner\n"
    msg = parse_message(mail(body, Content_Type="multipart/mixed; boundary=b0"))
    assert not msg.fatal and msg.body_text.strip() == "inner"


def test_plain_part_preferred_over_html() -> None:
    body = ("--a\nContent-Type: text/plain\n\nPlain words\n--a\nContent-Type: text/html\n\n"
            "<p>HTML words</p>\n--a--\n")
    msg = parse_message(mail(body, Content_Type='multipart/alternative; boundary="a"'))
    assert msg.body_text.strip() == "Plain words"


@pytest.mark.parametrize("data", [b"", b"   \r\n", random.Random(7).randbytes(4000),
                                  b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"],
                         ids=["empty", "blank", "random", "pdf"])
def test_non_mail_is_fatal_not_raised(data: bytes) -> None:
    msg = parse_message(data)
    assert msg.fatal and msg.errors and msg.message_key.startswith("sha256:")
    facts = analyze(msg, OURS)
    assert facts.label.name == "other" and "fatal" in facts.label.reason


def test_mail_loop_received_count() -> None:
    hops = "".join(f"Received: from hop{i}.example by hop{i + 1}.example; "
                   f"Mon, 16 Nov 2026 10:00:{i % 60:02d} -0000\n" for i in range(30))
    msg = parse_message(hops.encode() + mail())
    assert msg.received_count == 30
    assert analyze(msg, OURS).loop_suspected == "30 Received headers (more than 25 hops)"


def test_nul_bytes_never_reach_strings() -> None:
    msg = parse_message(mail("a\x00b\n", Subject="x\x00y"))
    assert msg.subject == "xy" and msg.body_text == "ab\n"


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=3000))
def test_fuzz_random_bytes(data: bytes) -> None:
    msg = parse_message(data)
    check_invariants(msg, analyze(msg, OURS))


HEADER_NAMES = st.sampled_from([
    "From", "To", "Cc", "Subject", "Date", "Message-ID", "In-Reply-To", "References",
    "Content-Type", "Content-Transfer-Encoding", "Content-Disposition", "MIME-Version",
    "Received", "Auto-Submitted", "X-Failed-Recipients", "List-Unsubscribe", "Precedence"])
TRICKY_VALUES = st.sampled_from([
    'multipart/mixed; boundary="b"', "multipart/report; report-type=delivery-status; boundary=b",
    "message/delivery-status", "message/rfc822", "text/rfc822-headers",
    "text/plain; charset=x-unknown", "text/html; charset=utf-8", "text/plain; charset=base64",
    "base64", "quoted-printable", "=?utf-8?q?=C3=A9?=", "=?bogus?b?!!?=", "<a@b>", "<>", "@",
    'attachment; filename="a.pdf"', "auto-replied", "Thu, 31 Feb 2026 25:61:00 +9999",
    "Fri, 31 Dec 9999 23:59:00 -0100", "Fri, 31 Dec 9999 10:00:00 +0000",
    "Mon, 1 Jan 0001 00:00:00 +0100",
    "MAILER-DAEMON@x.example", "\"Smith, John\" <j@x>", "Undeliverable: Re: ORD-10001"])
LINES = st.sampled_from([
    "--b", "--b--", "", "Content-Type: message/delivery-status", "Final-Recipient: rfc822; x@y.z",
    "Action: failed", "Status: 5.1.1", "> quoted", "On Mon, Jan 1 wrote:", "-- ", "Thanks,",
    "Can you call me Thursday?", "back on December 2", "back Monday", "until 12/31",
    "unsubscribe", "Q-2001 accepted", "out of the office",
    "=C3=A9=", "<p>html<br>", "Content-Transfer-Encoding: base64", "Zm9v!!"])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(headers=st.lists(st.tuples(HEADER_NAMES, st.one_of(TRICKY_VALUES, st.text(max_size=40))),
                        max_size=12),
       body=st.lists(st.one_of(LINES, st.text(max_size=60)), max_size=20),
       newline=st.sampled_from(["\n", "\r\n"]), codec=st.sampled_from(["utf-8", "latin-1"]))
def test_fuzz_header_like_text(headers: list[tuple[str, str]], body: list[str], newline: str,
                               codec: str) -> None:
    text = newline.join(f"{n}: {v}" for n, v in headers) + newline * 2 + newline.join(body)
    data = text.encode(codec, errors="replace")
    msg = parse_message(data)
    check_invariants(msg, analyze(msg, OURS))
    assert parse_message(data).message_key == msg.message_key
