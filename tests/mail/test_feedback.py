"""Feedback-loop reports (RFC 5965 ARF) as the large providers and abuse desks send them: who
complained, of what type, from which field, and that the report is machine mail with no person
behind its sender."""

from __future__ import annotations

import pytest

from agent.mail.analyze import analyze
from agent.mail.parse import parse_message

OWN = ["acme.example"]


def report(fields: str, original: str = "To: reader@client.example\n", *, part: str = "",
           report_type: str = "feedback-report", human: str = "This is an abuse report.") -> bytes:
    feedback = part or f"Content-Type: message/feedback-report\n\n{fields}"
    return f"""\
From: Abuse Desk <fbl@isp.example>
To: abuse@acme.example
Subject: Abuse report
Message-ID: <fbl.1@isp.example>
Date: Tue, 24 Nov 2026 10:00:00 +0000
MIME-Version: 1.0
Content-Type: multipart/report; report-type={report_type}; boundary="B"

--B
Content-Type: text/plain

{human}

--B
{feedback}

--B
Content-Type: message/rfc822

From: Acme <office@acme.example>
{original}Subject: Your appraisal
Message-ID: <out.7@acme.example>

Hello.
--B--
""".encode()


BASE = "Feedback-Type: abuse\nUser-Agent: Yahoo!-Mail-Feedback/2.0\nVersion: 1\n"


@pytest.mark.parametrize(("raw", "recipients", "source"), [
    # RFC 5965 appendix B.1 shape: the complainer in Original-Rcpt-To.
    (report(BASE + "Original-Rcpt-To: <joe@client.example>\n"), ["joe@client.example"],
     "original-rcpt-to"),
    # One field per recipient; both are the report's words on who complained.
    (report(BASE + "Original-Rcpt-To: a@client.example\nOriginal-Rcpt-To: b@client.example\n"),
     ["a@client.example", "b@client.example"], "original-rcpt-to"),
    # Removal-Recipient says whom to remove and wins over the rest.
    (report(BASE + "Removal-Recipient: stop@client.example\nOriginal-Rcpt-To: x@client.example\n"),
     ["stop@client.example"], "removal-recipient"),
    # No recipient field: the sole recipient of the embedded original.
    (report(BASE), ["reader@client.example"], "original message"),
    # Redacted everywhere (Microsoft, Yahoo): nobody here; the outbox match decides later.
    (report(BASE + "Original-Rcpt-To: redacted\n", "To: [redacted]\n"), [], ""),
    # Several original recipients and no field: the report does not say which one complained.
    (report(BASE, "To: a@client.example, b@client.example\n"), [], ""),
    # A base64-encoded report part is read too.
    (report("", part="Content-Type: message/feedback-report\nContent-Transfer-Encoding: base64\n\n"
            "RmVlZGJhY2stVHlwZTogZnJhdWQNClZlcnNpb246IDENCk9yaWdpbmFsLVJjcHQtVG86IGZAY2xpZW50"
            "LmV4YW1wbGUNCg=="), ["f@client.example"], "original-rcpt-to"),
])
def test_the_complainer_comes_from_the_report_fields_or_the_original(raw, recipients, source):
    facts = analyze(parse_message(raw), OWN)
    assert facts.complaint is not None and facts.bounce is None
    assert (facts.complaint.recipients, facts.complaint.source) == (recipients, source)
    assert facts.machine and facts.machine.startswith("feedback-report")
    assert facts.signature is None and facts.unsubscribe is False  # "unsubscribe this user"
    assert facts.label.name == "other"


def test_fields_evidence_and_the_original_message_id():
    raw = report(BASE + "Original-Rcpt-To: joe@client.example\nSource-IP: 192.0.2.1\n"
                 "Reported-Domain: acme.example\n")
    msg = parse_message(raw)
    assert msg.bounced_message_id == "out.7@acme.example"
    complaint = analyze(msg, OWN).complaint
    assert complaint.reason == "complaint_abuse"
    assert complaint.evidence == ("feedback-type: abuse; user-agent: Yahoo!-Mail-Feedback/2.0; "
                                  "reported-domain: acme.example; source-ip: 192.0.2.1")


@pytest.mark.parametrize("kind", ["not-spam", "auth-failure"])
def test_reports_that_are_not_complaints_suppress_nobody(kind):
    raw = report(f"Feedback-Type: {kind}\nVersion: 1\nOriginal-Rcpt-To: joe@client.example\n")
    facts = analyze(parse_message(raw), OWN)
    assert facts.complaint is None and facts.bounce is None and facts.machine


def test_our_own_address_is_never_the_complainer():
    raw = report(BASE + "Original-Rcpt-To: office@acme.example\n", "To: office@acme.example\n")
    assert analyze(parse_message(raw), OWN).complaint.recipients == []


def test_bounce_wording_in_the_human_part_does_not_make_a_bounce():
    raw = report(BASE + "Original-Rcpt-To: joe@client.example\n",
                 human="Delivery to the following recipient failed permanently: joe@client.example")
    facts = analyze(parse_message(raw), OWN)
    assert facts.bounce is None and facts.complaint.recipients == ["joe@client.example"]
