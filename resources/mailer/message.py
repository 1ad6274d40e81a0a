"""An outbox row's rendered email as a MIME message whose Message-ID is its idempotency key.

The Message-ID is a hash of (tenant, key) under the sender's domain: the same action always gets
the same Message-ID, which is how a message whose delivery is unknown after a crash is found again
in the mailbox's Sent folder, and how a receiving server or person can spot a duplicate.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any


def message_id(tenant_slug: str, key: str, sender: str) -> str:
    digest = hashlib.sha256(f"{tenant_slug}\0{key}".encode()).hexdigest()[:32]
    domain = sender.rpartition("@")[2] or "steward.invalid"
    return f"<{digest}.{tenant_slug}@{domain}>"


def build_message(
    tenant_slug: str, key: str, payload: dict[str, Any], now: datetime
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = payload["from"]
    msg["To"] = payload["to"]
    msg["Subject"] = payload["subject"]
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = message_id(tenant_slug, key, payload["from"])
    msg["X-Steward-Key"] = key
    if payload.get("in_reply_to"):
        msg["In-Reply-To"] = payload["in_reply_to"]
        msg["References"] = payload["in_reply_to"]
    if payload.get("unsubscribe"):
        msg["List-Unsubscribe"] = f"<mailto:{payload['from']}?subject=unsubscribe>"
    msg.set_content(payload["text"])
    if payload.get("html"):
        msg.add_alternative(payload["html"], subtype="html")
    return msg
