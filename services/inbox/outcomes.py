"""What a stored message means for the rest of the system: touches on the engagement clock,
paused cadences on replies, suppressed addresses on opt-outs (and on bounces and complaints, see
services/inbox/feedback.py), signals, and a contact's out-of-office return date."""

from __future__ import annotations

from datetime import date, datetime

from agent.mail.batch import IngestCounts, Item
from resources.database import TenantScope
from resources.store.contacts import Known, record_touches, set_away
from resources.store.signals import record_signals
from resources.store.suppressions import pause_cadences, suppress
from services.inbox.feedback import feedback_outcomes

AUTOMATED = {"bounce", "out_of_office"}


def record_outcomes(
    scope: TenantScope,
    items: list[Item],
    ids: dict[str, int],
    people: dict[str, Known],
    now: datetime,
    counts: IngestCounts,
) -> None:
    touch_rows, pause_rows, suppress_rows, signal_rows = [], [], [], []
    away_until: dict[int, date] = {}  # per contact, the latest message's return date wins
    for item in items:
        msg, facts = item.msg, item.facts
        if item.quarantine or facts is None or msg.message_key not in ids:
            continue
        message_id = ids[msg.message_key]
        when = msg.sent_at or now
        contact = _contact_of(item, people)
        # Machine mail (reports, daemons, auto-replies, list mail) is no person's touch or reply;
        # an out-of-office from a known contact still notes its return date below.
        automated = (facts.label.name in AUTOMATED or facts.bounce is not None
                     or facts.complaint is not None or facts.machine is not None)
        if contact and not automated:
            touch_rows.append(
                {
                    "contact_id": contact.id,
                    "account_id": contact.account_id,
                    "message_id": message_id,
                    "occurred_at": when,
                    "touch_type": "email_in" if item.direction == "in" else "email_out",
                    "by_whom": f"contact:{msg.sender.email}"
                    if item.direction == "in" and msg.sender
                    else f"human:{msg.sender.email if msg.sender else 'unknown'}",
                    "source_key": f"msg:{msg.message_key}",
                }
            )
        if item.direction == "in" and msg.in_reply_to and not automated:
            pause_rows.append(
                {
                    "contact_id": contact.id if contact else None,
                    "message_id": message_id,
                    "thread_key": msg.thread_key,
                    "paused_at": when,
                    "reason": f"reply received: {msg.subject[:150]}",
                }
            )
        if facts.unsubscribe and msg.sender:
            suppress_rows.append(
                {
                    "email": msg.sender.email,
                    "reason": "unsubscribe",
                    "message_id": message_id,
                    "detail": msg.subject[:200],
                }
            )
        contact_id = contact.id if contact else None
        signal_rows += [
            {
                "message_id": message_id,
                "contact_id": contact_id,
                "kind": s.kind,
                "strength": s.strength,
                "evidence": s.evidence,
            }
            for s in facts.signals
        ]
        if facts.human_request:
            signal_rows.append(
                {
                    "message_id": message_id,
                    "contact_id": contact_id,
                    "kind": "human_request",
                    "strength": 1.0,
                    "evidence": f"{facts.human_request.action}: {facts.human_request.evidence}",
                }
            )
        if facts.out_of_office_until and contact:
            away_until[contact.id] = facts.out_of_office_until
    stored = [i for i in items if not i.quarantine and i.facts and i.msg.message_key in ids]
    suppress_rows += feedback_outcomes(scope, stored, ids, now, counts)
    counts.touches += record_touches(scope, touch_rows)
    counts.cadence_pauses += pause_cadences(scope, pause_rows)
    new = suppress(scope, suppress_rows)
    counts.suppressed += new.total()
    counts.per_suppression.update(+new)
    counts.signals += record_signals(scope, signal_rows)
    set_away(scope, away_until)


def _contact_of(item: Item, people: dict[str, Known]) -> Known | None:
    if item.direction == "in":
        return people.get(item.msg.sender.email) if item.msg.sender else None
    for address in [*item.msg.to, *item.msg.cc]:
        if address.email in people:
            return people[address.email]
    return None
