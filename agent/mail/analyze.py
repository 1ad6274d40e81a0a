"""The one entry point from a parsed message to the facts the cycle acts on.

Detectors run in a fixed order and each sees only what it should: the sender's own words (no
quoted text, so our own outreach quoted back never counts as their complaint), signatures only on
inbound mail from outside the tenant, and opportunity signals and human requests only on mail a
person wrote (an auto-reply saying "for urgent orders call..." is not urgency).
"""

from __future__ import annotations

from agent.mail.bounces import bounce_from
from agent.mail.classify import Findings, classify
from agent.mail.feedback import complaint_from
from agent.mail.machine import AUTO_REPLY, machine_kind
from agent.mail.model import Label, MailFacts, ParsedMessage, Signal
from agent.mail.references import find_references
from agent.mail.signals import (
    STRENGTHS,
    human_request,
    is_automatic,
    is_bulk,
    is_ours,
    loop_suspected,
    opportunity_signals,
    out_of_office,
    return_date,
    unsubscribe_request,
)
from agent.mail.signatures import extract_signature, own_words


def _replied_to_ours(msg: ParsedMessage, own_domains: list[str]) -> str | None:
    candidates = ([msg.in_reply_to] if msg.in_reply_to else []) + msg.references[::-1]
    return next((c for c in candidates if is_ours(c, own_domains, message_id=True)), None)


def analyze(msg: ParsedMessage, own_domains: list[str]) -> MailFacts:
    """Label, signals, bounce, opt-out, out-of-office, human request, references, signature and
    loop suspicion for one message. `own_domains` lists the tenant's domains or addresses."""
    written = msg.body_text if msg.own_text is None else msg.own_text
    body = own_words(written)
    inbound = not (msg.sender and is_ours(msg.sender.email, own_domains))
    # A feedback report is a complaint, whatever bounce wording its human-readable part has.
    complaint = complaint_from(msg, own_domains) if inbound and not msg.fatal else None
    bounce = bounce_from(msg) if complaint is None else None
    # Machine mail is read only inbound: our own bulk mail in Sent still touches its recipients.
    machine = machine_kind(msg) if inbound and not msg.fatal else None
    machine_reason = f"{machine[0]}: {machine[1]}" if machine else None
    automatic = bounce is not None or complaint is not None or machine is not None or \
        is_automatic(msg)
    person_wrote = inbound and not automatic and not msg.fatal
    away = out_of_office(msg, body) if inbound and bounce is None else None
    hits = opportunity_signals(msg.subject, body) if person_wrote and away is None else {}
    request = human_request(body) if person_wrote and away is None else None
    found = Findings(
        body=body, bounce=bounce,
        # Only a person opts out: a report, newsletter or auto-reply saying "unsubscribe" does not.
        unsubscribe=unsubscribe_request(msg, body)
        if inbound and bounce is None and machine is None else None,
        out_of_office=away, human_request=request,
        references=find_references(msg.subject, body), signals=hits,
        replied_to_ours=_replied_to_ours(msg, own_domains),
        sent_by_us=None if inbound or msg.sender is None else msg.sender.email,
        machine=machine_reason)
    # Auto-replies are signed too, but bounces, reports, daemons and newsletters describe no one
    # we deal with.
    enrich = inbound and bounce is None and not msg.fatal and not is_bulk(msg) and (
        machine is None or machine[0] == AUTO_REPLY)
    label = classify(msg, found)
    if machine_reason and "machine mail" not in label.reason:
        label = Label(label.name, f"{label.reason}; machine mail: {machine_reason}",
                      label.confidence)
    sent = msg.sent_at.date() if msg.sent_at else None
    return MailFacts(
        label=label,
        signals=[Signal(kind, STRENGTHS[kind], hit.context) for kind, hit in hits.items()],
        bounce=bounce, complaint=complaint, unsubscribe=found.unsubscribe is not None,
        out_of_office=away is not None,
        out_of_office_until=(return_date(body, sent) or return_date(msg.subject, sent))
        if away else None,
        human_request=request, references=found.references,
        signature=extract_signature(written, msg.sender) if enrich else None,
        loop_suspected=loop_suspected(msg, own_domains), machine=machine_reason)
