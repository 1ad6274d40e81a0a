"""Settle a message whose delivery a crash or a lost connection left unknown.

The message's Message-ID is derived from its idempotency key, so it can be looked for in the
mailbox's Sent folder (providers such as Gmail file what their SMTP server accepted; Maildir and
IMAP can be searched). Found: it was delivered, and is recorded as sent. Not found, or a mailbox
that cannot be searched: a person decides, told by a critical alert at most once per throttle
window; the message is never resent by itself.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from agent.actions import EMAIL_KINDS
from resources.alerts import Alerts
from resources.database import Database, Tenant
from resources.mailbox.resource import Mailboxes
from resources.mailer.message import message_id
from resources.store import outbox as box
from resources.store.contacts import record_outbound_touch


def reconcile(
    db: Database,
    mailboxes: Mailboxes,
    alerts: Alerts,
    tenant: Tenant,
    row: dict[str, Any],
    now: datetime,
) -> bool:
    """True when the message was found in the Sent folder and is now recorded as sent. Other
    kinds (a webhook hand-over) have nowhere to look afterwards: a person decides."""
    if row["kind"] not in EMAIL_KINDS:
        what, where = f"The {row['kind']} hand-over", "its provider cannot be asked afterwards"
    else:
        sender = (row["payload"] or {}).get("from", "")
        mid = message_id(tenant.slug, row["idempotency_key"], sender)
        found = mailboxes.find_sent(tenant.slug, tenant.settings.mailbox, mid)
        if found:
            box.settle(
                db,
                tenant.slug,
                row["id"],
                now,
                status="sent",
                sent_at=now,
                provider_ref=f"{mid} reconciled: found in the Sent folder",
                claimed_by=None,
            )
            record_outbound_touch(db, tenant.slug, row, now)
            return True
        what = f"Message {mid}"
        where = "not in the Sent folder" if found is False else "the mailbox cannot be searched"
    with db.for_tenant(tenant.slug) as scope:
        alerts.raise_(
            scope,
            "delivery_unknown",
            f"delivery_unknown:{row['idempotency_key']}"[:300],
            f"delivery unknown: {row['kind']} to {row['target']}",
            f"{what} may or may not have been delivered ({where}; "
            f"{row.get('last_error') or 'dispatcher stopped mid-send'}). It will not be resent "
            f"automatically: check with the recipient, then run `steward outbox resolve "
            f"--tenant {tenant.slug} {row['idempotency_key']} --sent` or `--resend`.",
            now,
            "critical",
        )
    return False
