"""Broadcasts: one message to a segment of a tenant's contacts, sent in batches, as pure rules.

A campaign names its audience as a segment (filters over contacts and their accounts), its
message (subject, text, HTML: templates over the recipient's fields) and when it may start. It
never goes by itself: a person approves it (bulk mail is a sensitive action). At start the
audience is frozen, one row per recipient; from then on the cycle sends it in batches within
the tenant's caps (`broadcast_batches_per_day`, the email caps), its send window and business
days, each recipient's mail under the key (campaign, recipient), so a crash, a retry, a pause
and resume or a rerun sends it at most once.

A provider that throttles (a 4xx, a quota) slows the campaign instead of failing it: the
batch's unsent mail waits, each throttle in a row doubling the wait and halving the batch, and
a clean batch lets the size grow back. A campaign whose bounce or complaint rate crosses the
tenant's threshold is paused for a person to look at; 5% bounces is the level where the large
providers start warning, so the asset check warns there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Engagement = Literal["compliant", "due_soon", "overdue", "unreachable"]
STATUSES = ("draft", "approved", "running", "paused", "completed", "cancelled")
FINAL = ("completed", "cancelled")
# A recipient's row: waiting for its batch, in the outbox, then what became of it.
RECIPIENT_STATUSES = ("pending", "queued", "sent", "skipped", "failed", "bounced",
                      "unsubscribed", "replied")
# What a template may name of its recipient (the tenant's name comes with every message).
VARIABLES = ("first_name", "last_name", "full_name", "name", "email", "company", "title",
             "account_name", "tenant_name")
BOUNCE_WARN_PCT = 5.0
MIN_SAMPLE = 20  # sent messages before a rate can pause a campaign: 1 bounce in 3 is noise
FIRST_THROTTLE_WAIT = timedelta(minutes=5)
MAX_THROTTLE_WAIT = timedelta(hours=1)
MIN_BATCH = 10
_STATE = re.compile(r"\b([A-Z]{2})\s+\d{5}(?:-\d{4})?\b")


class Segment(BaseModel):
    """Who a campaign goes to: contacts with an address that pass every filter given (a list
    filter passes when any of its values matches, compared without case; tags must all be on
    the contact's or its account's profile)."""

    model_config = ConfigDict(extra="forbid")

    tags: list[str] = Field(default_factory=list)
    account_types: list[str] = Field(default_factory=list)  # the account's industry
    regions: list[str] = Field(default_factory=list)  # profile `region`, else the address's state
    last_order_after: date | None = None
    last_order_before: date | None = None
    engagement: list[Engagement] = Field(default_factory=list)
    include_inactive_accounts: bool = False

    @model_validator(mode="after")
    def _order_window(self) -> Segment:
        after, before = self.last_order_after, self.last_order_before
        if after and before and after >= before:
            raise ValueError(f"last_order_after ({after}) must be before last_order_before "
                             f"({before})")
        return self

    def describe(self) -> str:
        parts = [f"{k}={v}" for k, v in self.model_dump(exclude_defaults=True).items()]
        return ", ".join(parts) or "every contact with an address"


class Template(BaseModel):
    """The message; `html` may be left out (the text is sent as HTML paragraphs)."""

    model_config = ConfigDict(extra="forbid")

    subject: str = Field(min_length=1, max_length=300)
    text: str = Field(min_length=1)
    html: str | None = None

    @field_validator("subject")
    @classmethod
    def _one_line(cls, value: str) -> str:
        if "\n" in value or "\r" in value:
            raise ValueError("the subject must be one line")
        return value.strip()


@dataclass(frozen=True)
class Candidate:
    """What the segment filters read of one contact (the services layer gathers it)."""

    contact_id: int
    email: str | None
    tags: frozenset[str]
    account_type: str | None
    region: str | None
    last_order: date | None
    engagement: str
    account_active: bool = True


def selects(segment: Segment, c: Candidate) -> bool:
    if not segment.include_inactive_accounts and not c.account_active:
        return False
    wanted = {t.strip().lower() for t in segment.tags}
    if wanted - c.tags:
        return False
    if segment.account_types and not _any(segment.account_types, c.account_type):
        return False
    if segment.regions and not _any(segment.regions, c.region):
        return False
    if segment.last_order_after and not (c.last_order and c.last_order > segment.last_order_after):
        return False
    if segment.last_order_before and (c.last_order is None
                                      or c.last_order >= segment.last_order_before):
        return False
    return not segment.engagement or c.engagement in segment.engagement


def _any(values: list[str], have: str | None) -> bool:
    return have is not None and have.strip().lower() in {v.strip().lower() for v in values}


def tags_of(*profiles: dict[str, Any] | None) -> frozenset[str]:
    """Tags from profiles' `tags` (a list or a comma-separated text)."""
    found: set[str] = set()
    for profile in profiles:
        tags = (profile or {}).get("tags") or []
        if isinstance(tags, str):
            tags = tags.split(",")
        found.update(str(t).strip().lower() for t in tags if str(t).strip())
    return frozenset(found)


def region_of(profile: dict[str, Any] | None, *addresses: str | None) -> str | None:
    """The `region` a profile names, else the US state of the first address that has one."""
    region = (profile or {}).get("region")
    if region:
        return str(region)
    for address in addresses:
        found = _STATE.search(address or "")
        if found:
            return found.group(1)
    return None


def can(status: str, verb: str) -> str | None:
    """Why `verb` is refused for a campaign in `status`, or None when it may happen."""
    allowed = {
        "approve": ("draft",),
        "start": ("approved",),
        "pause": ("running",),
        "resume": ("paused",),
        "cancel": ("draft", "approved", "running", "paused"),
    }[verb]
    if status in allowed:
        return None
    article = "an" if status[0] in "aeiou" else "a"
    return f"{article} {status} campaign cannot {verb} (only {' or '.join(allowed)})"


@dataclass(frozen=True)
class Pace:
    """How fast a running campaign may go: batch size now, and not before when."""

    batch_size: int
    throttled_until: datetime | None
    throttles: int  # throttles in a row


def throttled(pace: Pace, now: datetime) -> Pace:
    """A provider said slow down: wait (5 minutes, doubling per throttle in a row, at most an
    hour) and halve the batch (not below MIN_BATCH, or the configured size if smaller)."""
    wait = min(FIRST_THROTTLE_WAIT * 2 ** pace.throttles, MAX_THROTTLE_WAIT)
    size = max(pace.batch_size // 2, min(MIN_BATCH, pace.batch_size))
    return Pace(size, now + wait, pace.throttles + 1)


def recovered(pace: Pace, configured: int) -> Pace:
    """A batch went out without a throttle: the size doubles back towards the configured one."""
    return Pace(min(configured, pace.batch_size * 2), None, 0)


def batch_size(pace: Pace, pending: int, email_left: int) -> int:
    """A batch takes at most half the email budget left this hour (all of one slot), so the
    tenant's conversations and follow-ups keep going while a campaign runs."""
    share = email_left if email_left <= 1 else email_left // 2
    return max(0, min(pace.batch_size, pending, share))


@dataclass(frozen=True)
class Stats:
    audience: int
    pending: int  # not yet in a batch, or queued and not yet out
    sent: int  # delivered, including those that then bounced, unsubscribed or replied
    skipped: dict[str, int]
    failed: int
    bounced: int
    unsubscribed: int
    complained: int
    replied: int

    def rate(self, count: int) -> float:
        return 0.0 if self.sent == 0 else round(100.0 * count / self.sent, 2)

    @property
    def bounce_pct(self) -> float:
        return self.rate(self.bounced)

    @property
    def complaint_pct(self) -> float:
        return self.rate(self.complained)


def pause_reason(stats: Stats, bounce_limit_pct: float, complaint_limit_pct: float) -> str | None:
    """Why the campaign must stop for a person, or None: a bounce or complaint rate above the
    tenant's threshold once enough mail has gone to judge."""
    if stats.sent < MIN_SAMPLE:
        return None
    if stats.bounce_pct > bounce_limit_pct:
        return (f"bounce rate {stats.bounce_pct}% ({stats.bounced} of {stats.sent}) is above "
                f"the tenant's {bounce_limit_pct}%")
    if stats.complaint_pct > complaint_limit_pct:
        return (f"complaint rate {stats.complaint_pct}% ({stats.complained} of {stats.sent}) is "
                f"above the tenant's {complaint_limit_pct}%")
    return None


def recipient_key(broadcast_id: int, recipient_id: int) -> str:
    """The recipient's mail key: its ledger-free outbox key, one per (campaign, recipient)."""
    return f"broadcast:{broadcast_id}:{recipient_id}"


def batch_key(broadcast_id: int, number: int) -> str:
    return f"broadcast_batch:{broadcast_id}:{number}"
