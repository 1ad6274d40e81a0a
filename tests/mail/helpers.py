"""Building raw mail for the tests: plain bytes, exactly as a mailbox would hand them over."""

from __future__ import annotations

from agent.mail.model import MailFacts, ParsedMessage

OURS = ["acme-appraisals.example"]
LABELS = {"inquiry", "order", "complaint", "feedback_reply", "quote_response",
          "scheduling_request", "out_of_office", "bounce", "unsubscribe", "reply", "other"}


def mail(body: str = "Hello.\n", *, newline: str = "\n", **headers: str | None) -> bytes:
    """A message from keyword headers (In_Reply_To -> In-Reply-To); None removes a default."""
    defaults = {"From": "Jane Doe <jane.doe@lender.example>",
                "To": "Acme Appraisals <info@acme-appraisals.example>",
                "Subject": "Hello", "Date": "Mon, 16 Nov 2026 10:00:00 -0500",
                "Message-ID": "<m1@lender.example>"}
    for key, value in headers.items():
        name = "-".join(part.capitalize() for part in key.rstrip("_").split("_"))
        name = {"Message-Id": "Message-ID"}.get(name, name)
        if value is None:
            defaults.pop(name, None)
        else:
            defaults[name] = value
    lines = [f"{name}: {value}" for name, value in defaults.items()]
    return (newline.join(lines) + newline + newline + body.replace("\n", newline)).encode()


def check_invariants(msg: ParsedMessage, facts: MailFacts) -> None:
    """What must hold for any input whatsoever."""
    assert isinstance(msg.message_key, str) and msg.message_key
    assert isinstance(msg.thread_key, str) and msg.thread_key
    assert len(msg.content_hash) == 64
    assert facts.label.name in LABELS
    assert facts.label.reason
    assert all(s.evidence for s in facts.signals)
