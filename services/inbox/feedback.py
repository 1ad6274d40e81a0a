"""Bounces and spam complaints in a stored batch: which addresses to suppress, and what to keep.

Each report is matched to the outbox row it answers by the Message-ID we sent under (the
original's, attached, quoted in the text or referenced: agent/mail/feedback.original_ids). An
address the report names that is not the one that message went to is kept on record but never
suppressed (a quoted or forwarded address is not ours to silence), and a complaint whose
provider redacted the complainer still finds them there. Only permanent recipient failures
suppress at once; soft ones are kept, and suppress when an address has had `soft_bounce_limit`
of them within `soft_bounce_days`; delays never suppress, and failures on our side are the
tenant's deliverability alert (services/alerts.py). Every spam complaint suppresses its
complainer.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from agent.mail.batch import IngestCounts, Item
from agent.mail.feedback import original_ids
from resources.database import TenantScope
from resources.store.delivery_feedback import record_feedback, sent_under, soft_failures

NOT_SENT = "not_sent"  # the outcome of an address the matched message did not go to


def feedback_outcomes(
    scope: TenantScope, items: list[Item], ids: dict[str, int], now: datetime,
    counts: IngestCounts,
) -> list[dict[str, Any]]:
    """Record the batch's bounces and complaints; returns the suppression rows they cause."""
    reports = [i for i in items if i.facts and (i.facts.bounce or i.facts.complaint)]
    candidates = {item.msg.message_key: original_ids(item.msg) for item in reports}
    sent = sent_under(scope, {mid for found in candidates.values() for mid in found})
    feedback, suppress_rows, soft = [], [], set()
    for item in reports:
        message_id = ids[item.msg.message_key]
        original = next((m for m in candidates[item.msg.message_key] if m in sent), None)
        row = {**sent[original], "message_id": original} if original else None
        common = {"message_id": message_id, "outbox_id": row["id"] if row else None,
                  # a report dated ahead of our clock would stay in every window: clamp to now
                  "occurred_at": min(item.msg.sent_at or now, now)}
        for entry, suppress_as in _bounce_entries(item, row, counts) + _complaint_entries(
                item, row, counts):
            feedback.append({**common, **entry})
            if entry["outcome"] == "soft":
                soft.add(entry["email"])
            elif entry["outcome"] == "suppress":
                suppress_rows.append({"email": entry["email"], "message_id": message_id,
                                      "reason": suppress_as, "detail": entry["evidence"]})
    record_feedback(scope, feedback)
    return suppress_rows + _repeated_soft(scope, soft, now)


Entry = tuple[dict[str, Any], str]  # a delivery_feedback row, and the suppression reason


def _bounce_entries(item: Item, row: dict | None, counts: IngestCounts) -> list[Entry]:
    entries = []
    for failure in item.facts.bounce.failures if item.facts.bounce else []:
        counts.per_bounce[failure.reason] += 1
        outcome = failure.outcome
        evidence = f"{failure.evidence} (address from {failure.source})"
        if row and failure.recipient != row["to"]:
            outcome = NOT_SENT
            evidence += f"; message {row['message_id']} went to {row['to']}"
        elif outcome == "ours":
            counts.our_side.append(f"{failure.recipient}: {failure.evidence}")
        entries.append(({"email": failure.recipient, "kind": "bounce", "reason": failure.reason,
                         "outcome": outcome, "evidence": evidence[:1000]},
                        f"bounce:{failure.reason}"))
    return entries


def _complaint_entries(item: Item, row: dict | None, counts: IngestCounts) -> list[Entry]:
    complaint = item.facts.complaint
    if complaint is None:
        return []
    counts.complaints += 1
    recipients, source = complaint.recipients, complaint.source
    if row and (not recipients or row["to"] in recipients):
        recipients, source = [row["to"]], f"the message {row['message_id']} we sent"
    elif row:
        source += f"; message {row['message_id']} went to {row['to']}"
    evidence = f"{complaint.evidence} (address from {source or 'nowhere: redacted'})"
    return [({"email": address, "kind": "complaint", "reason": complaint.reason,
              "outcome": "suppress" if not row or address == row["to"] else NOT_SENT,
              "evidence": evidence[:1000]}, "complaint") for address in recipients]


def _repeated_soft(scope: TenantScope, emails: set[str], now: datetime) -> list[dict[str, Any]]:
    """Addresses whose soft bounces within the window reached the limit (this batch's included:
    they were recorded first)."""
    limits = scope.tenant.settings.thresholds
    days = limits.soft_bounce_days
    rows = []
    for email, failures in soft_failures(scope, emails, now - timedelta(days=days)).items():
        if len(failures) < limits.soft_bounce_limit:
            continue
        reasons = ", ".join(f"{r} x{n}" for r, n in Counter(f["reason"] for f in failures).items())
        last = failures[-1]
        rows.append({"email": email, "reason": "bounce:soft_repeated",
                     "message_id": last["message_id"],
                     "detail": f"{len(failures)} soft bounces in {days} days ({reasons}); "
                               f"last: {last['evidence']}"[:1000]})
    return rows
