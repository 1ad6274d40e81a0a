"""The bounce corpus: at least three samples per MTA, provider and gateway format the issue names
(tests/mail/bounce_samples_*.py), each with the failed address, the reason and the outcome it
must give, and junk that must never be suppressed."""

from __future__ import annotations

from collections import Counter

import pytest

from agent.mail.bounce_reasons import REASONS, outcome_for, reason_for
from agent.mail.bounces import bounce_from, valid_recipient
from agent.mail.parse import parse_message
from tests.mail import bounce_samples_mta, bounce_samples_providers, bounce_samples_services
from tests.mail.bounce_mail import OUR, dsn, plain

SAMPLES = (bounce_samples_mta.SAMPLES + bounce_samples_providers.SAMPLES
           + bounce_samples_services.SAMPLES)
FORMATS = ("Postfix", "Exim", "Sendmail", "qmail", "Courier", "OpenSMTPD", "DragonFly",
           "Exchange 2003", "Exchange 2007-2019", "Office 365", "Gmail", "Yahoo", "Outlook.com",
           "Amazon SES", "SendGrid", "Zoho", "Domino", "McAfee", "Barracuda", "Mimecast",
           "Proofpoint")


@pytest.mark.parametrize(("kind", "name", "raw", "recipient", "reason", "outcome"), SAMPLES,
                         ids=[f"{c[0]}: {c[1]}" for c in SAMPLES])
def test_corpus(kind: str, name: str, raw: bytes, recipient: str, reason: str,
                outcome: str) -> None:
    bounce = bounce_from(parse_message(raw))
    assert bounce is not None, f"{kind}: {name} not detected"
    assert [f.recipient for f in bounce.failures] == [recipient]
    (failure,) = bounce.failures
    assert (failure.reason, failure.outcome) == (reason, outcome)
    assert failure.reason in REASONS and failure.evidence
    assert bounce.hard == (outcome == "suppress")


def test_every_format_has_three_samples_and_every_sample_a_known_format() -> None:
    counts = Counter(kind for kind, *_ in SAMPLES)
    assert {kind: counts[kind] for kind in FORMATS if counts[kind] < 3} == {}
    assert set(counts) <= {*FORMATS, "RFC 3464"}
    assert len({(kind, name) for kind, name, *_ in SAMPLES}) == len(SAMPLES)


@pytest.mark.parametrize("junk", ['"|/usr/bin/procmail"@host.example', "/var/spool/mail/x",
                                  "@a.example,@b.example:x@y.example", "@mx.example.org",
                                  "mailer-daemon@mx.example", "postmaster@lender.example"])
def test_junk_is_never_a_recipient(junk: str) -> None:
    assert not valid_recipient(junk.lower())
    raw = dsn(junk, "5.1.1", "550 5.1.1 user unknown")
    bounce = bounce_from(parse_message(raw))
    assert bounce is None or all(valid_recipient(f.recipient) for f in bounce.failures)


def test_help_desk_and_mail_host_quoted_in_text_are_not_suppressed() -> None:
    raw = plain("""Your message could not be delivered to the following recipient:

    gone@client.example: 550 5.1.1 User unknown

If you need help, write to helpdesk@isp.example or postmaster@mx.isp.example.
Delivery failed at smtp.isp.example (relay@mx.isp.example).
""")
    bounce = bounce_from(parse_message(raw))
    assert bounce is not None and bounce.recipients == ["gone@client.example"]


def test_virus_scanner_naming_eleven_addresses_suppresses_none() -> None:
    names = "\n".join(f"  user{i}@corp.example rejected" for i in range(11))
    raw = plain(f"Delivery failed: virus found in message. Recipients:\n{names}\n",
                subject="Undeliverable: virus alert", sender="postmaster@gateway.example")
    assert bounce_from(parse_message(raw)) is None


def test_attached_original_decides_the_recipient() -> None:
    raw = plain("""Your message could not be delivered.
Reason: 550 5.1.1 mailbox unavailable

------ Original message follows ------
""") + b"""
"""
    # The text names no address: the original's only recipient is the failed one.
    report = dsn("", "5.1.1", "550 5.1.1 mailbox unavailable", original_to="only@lender.example")
    bounce = bounce_from(parse_message(report))
    assert bounce is not None and bounce.recipients == ["only@lender.example"]
    assert bounce_from(parse_message(raw)) is None  # names nobody, no original attached


def test_malformed_report_naming_no_recipient_does_not_crash() -> None:
    raw = dsn("not an address", "5.1.1", "garbage")
    msg = parse_message(raw)
    bounce = bounce_from(msg)
    assert bounce is None or all(valid_recipient(f.recipient) for f in bounce.failures)


def test_bounce_of_a_bounce_never_names_our_address() -> None:
    inner = dsn("gone@lender.example", "5.1.1", "550 5.1.1 user unknown").decode()
    outer = dsn(OUR, "5.1.1", "550 5.1.1 user unknown").decode().replace(
        "Hi, just checking in.\n", inner)
    bounce = bounce_from(parse_message(outer.encode()))
    assert bounce is None or OUR not in bounce.recipients


def test_success_report_is_not_a_bounce() -> None:
    raw = dsn("fine@lender.example", "2.0.0", "250 2.0.0 OK", action="delivered")
    assert bounce_from(parse_message(raw)) is None


@pytest.mark.parametrize(("status", "text", "reason"), [
    ("5.1.1", "User unknown", "user_unknown"),
    ("5.7.1", "Message rejected: listed at bl.spamcop.net", "our_reputation"),
    ("5.7.1", "recipient not listed in public directory", "user_unknown"),
    ("4.2.2", "mailbox full", "delayed"),
    ("5.0.0", "quota exceeded", "mailbox_full"),
    ("5.0.0", "", "other"),
    ("5.7.1", "Blocked - see https://ipcheck.proofpoint.com/?ip=198.51.100.10", "our_reputation"),
    ("5.0.0", "Child process of address_pipe transport returned 127 (could mean unable to exec "
     "or command does not exist)", "other"),
    ("5.7.133", "authentication required; Delivery restriction check failed", "policy_block"),
])
def test_reason_table(status: str, text: str, reason: str) -> None:
    assert reason_for(status, text) == reason
    assert outcome_for(reason) in ("suppress", "soft", "delay", "ours")


@pytest.mark.parametrize(("status", "text", "reason"), [
    ("4.4.1", "The recipient server did not accept our requests to connect: timed out",
     "expired"),
    ("4.1.1", "450 4.1.1 mailbox unavailable", "expired"),
    ("4.2.2", "452 4.2.2 Mailbox full", "mailbox_full"),
    ("4.7.0", "421 4.7.0 mail sent from your IP address has been temporarily rate limited",
     "our_reputation"),
])
def test_a_temporary_failure_the_queue_gave_up_on_never_suppresses(status: str, text: str,
                                                                   reason: str) -> None:
    assert reason_for(status, text, gave_up=True) == reason
    assert outcome_for(reason) != "suppress"
