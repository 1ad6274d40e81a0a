"""A tenant's settings, validated before they reach the database or any decision.

Settings live as JSON on the tenant row; everything that reads them goes through `TenantSettings`
so that a typo in a send mode or a negative cap is refused at the door with a clear message.
"""

from __future__ import annotations

import re
from typing import Any, Literal
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from agent.actions import KINDS, Tier
from agent.calendar import supported

SendMode = Literal["dry_run", "internal_only", "limited_live"]
# The send modes whose mail leaves the machine over SMTP, so it needs a real sender address.
LIVE_SEND_MODES = frozenset({"internal_only", "limited_live"})
# Validation context of settings read back from the database (`TenantSettings.stored`).
STORED = "stored"
MAILBOX_SCHEMES = ("maildir", "imap", "imaps", "gmail")
SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
# Kinds whose delivery a provider makes (a file today, a webhook or a platform client); mail goes
# through the mailer; order fixes, human tasks and campaign batches are carried out inside Steward.
PROVIDER_KINDS = tuple(
    k for k, spec in KINDS.items()
    if not spec.email and k not in ("order_fix", "create_task", "broadcast_batch")
)
PROVIDER_KEYS = frozenset(PROVIDER_KINDS) | {
    KINDS[k].bucket for k in PROVIDER_KINDS if KINDS[k].bucket is not None
}


class Caps(BaseModel):
    """Per tenant rate limits; defaults follow the product's first safe rollout."""

    model_config = ConfigDict(extra="forbid")

    emails_per_hour: int = Field(10, ge=0)
    emails_per_day: int = Field(50, ge=0)
    social_posts_per_day: int = Field(20, ge=0)
    newsletters_per_day: int = Field(1, ge=0)
    seo_changes_per_day: int = Field(5, ge=0)
    ads_changes_per_day: int = Field(5, ge=0)
    broadcast_batches_per_day: int = Field(2, ge=0)
    research_per_hour: int = Field(5, ge=0)

    def limits(self, bucket: str) -> dict[str, int]:
        """The caps on one rate-limit bucket, by window ("hour" or "day")."""
        return {
            window: getattr(self, name) for (b, window), name in CAP_FIELDS.items() if b == bucket
        }


CAP_FIELDS: dict[tuple[str, str], str] = {
    ("email", "hour"): "emails_per_hour",
    ("email", "day"): "emails_per_day",
    ("social", "day"): "social_posts_per_day",
    ("newsletter", "day"): "newsletters_per_day",
    ("seo", "day"): "seo_changes_per_day",
    ("ads", "day"): "ads_changes_per_day",
    ("broadcast", "day"): "broadcast_batches_per_day",
    ("research", "hour"): "research_per_hour",
}


class Thresholds(BaseModel):
    """Business thresholds the rules read; named after the promises made to users."""

    model_config = ConfigDict(extra="forbid")

    engagement_days: int = Field(21, ge=1)
    engagement_due_soon_days: int = Field(3, ge=0)
    # Share of reachable contacts to keep within the engagement window (check and hints).
    engagement_compliance_target: float = Field(0.8, ge=0, le=1)
    min_touch_gap_hours: int = Field(48, ge=0)
    price_tolerance_pct: float = Field(5.0, ge=0)
    default_tech_fee: float = Field(0.0, ge=0)
    deal_stalled_days: int = Field(14, ge=1)
    # The cycle's `stalled_deals` check warns when more open deals than this are stalled.
    stalled_deals_warn: int = Field(5, ge=0)
    quote_follow_up_days: int = Field(3, ge=1)
    quote_max_follow_ups: int = Field(4, ge=0)
    feedback_after_days: int = Field(7, ge=0)
    ingest_stalled_hours: int = Field(24, ge=1)
    thin_pipeline_deals: int = Field(5, ge=0)
    approval_ttl_hours: int = Field(72, ge=1)
    # An inquiry older than this is not answered from documents (a first sync of years of mail).
    inquiry_answer_hours: int = Field(72, ge=1)
    alert_throttle_minutes: int = Field(60, ge=0)
    max_attachment_mb: float = Field(25.0, gt=0)
    # A soft bounce (mailbox full, rate limited, filtered) suppresses only when it keeps happening.
    soft_bounce_limit: int = Field(3, ge=1)
    soft_bounce_days: int = Field(15, ge=1)
    # Spam complaints per send over 7 days; 0.1% is the large providers' bulk-sender threshold.
    complaint_rate_alert_pct: float = Field(0.1, gt=0, le=100)


class Goals(BaseModel):
    """Monthly targets the cycle paces against; unset means no goal of that kind."""

    model_config = ConfigDict(extra="forbid")

    orders_per_month: int | None = Field(None, ge=0)
    revenue_per_month: float | None = Field(None, ge=0)


class SendWindow(BaseModel):
    """The hours (in the tenant's timezone) customer mail may go out; the policy defers the rest."""

    model_config = ConfigDict(extra="forbid")

    start_hour: int = Field(8, ge=0, le=23)
    end_hour: int = Field(18, ge=1, le=24)
    weekends: bool = False

    @model_validator(mode="after")
    def _starts_before_it_ends(self, info: ValidationInfo) -> SendWindow:
        # A window over midnight (18-8) would never open in agent.policy.next_window_open.
        if self.start_hour >= self.end_hour and not _stored(info):
            raise ValueError(
                f"the send window must start before it ends, got "
                f"{self.start_hour}-{self.end_hour} (a window over midnight is not supported)"
            )
        return self


class Holidays(BaseModel):
    """Where the tenant works: its public holidays are not business days for cadences."""

    model_config = ConfigDict(extra="forbid")

    country: str | None = None  # ISO 3166-1 alpha-2, e.g. US; None: weekends only
    subdivision: str | None = None  # e.g. CA for California, BY for Bavaria

    @model_validator(mode="after")
    def _known(self, info: ValidationInfo) -> Holidays:
        if self.country and not _stored(info) and (problem := supported(self.country,
                                                                        self.subdivision)):
            raise ValueError(problem)
        return self


class DealStage(BaseModel):
    """How an open deal in one stage is worked: stalled after this many days without activity,
    then followed up every so many business days, at most so many times."""

    model_config = ConfigDict(extra="forbid")

    stalled_after_days: int = Field(14, ge=1)
    follow_up_every_days: int = Field(3, ge=1)
    max_follow_ups: int = Field(4, ge=1, le=12)


# Later stages go stale faster: a proposal or negotiation left a few days is a deal at risk.
DEFAULT_DEAL_STAGES = {
    "lead": DealStage(stalled_after_days=14, follow_up_every_days=5, max_follow_ups=3),
    "qualified": DealStage(stalled_after_days=10, follow_up_every_days=4, max_follow_ups=4),
    "proposal": DealStage(stalled_after_days=7, follow_up_every_days=3, max_follow_ups=4),
    "negotiation": DealStage(stalled_after_days=5, follow_up_every_days=2, max_follow_ups=4),
}


# Why a quote was won or lost, as a tenant's owner would sort them; a tenant may keep its own.
QUOTE_REASONS = ("price", "timing", "competitor", "scope", "no_response", "cancelled", "other")


class FeedbackSettings(BaseModel):
    """What a positive feedback reply leads to: nothing more by default; a referral request, or a
    review request with the tenant's review page, when the owner turns it on."""

    model_config = ConfigDict(extra="forbid")

    referral_requests: bool = False
    review_url: str | None = None


class BroadcastSettings(BaseModel):
    """How a tenant's campaigns go out (agent/broadcast.py): the batch a cycle sends at most, the
    bounce rate that pauses a campaign (complaints pause it at `complaint_rate_alert_pct`), and
    the page an RFC 8058 one-click unsubscribe posts to, if the tenant has one."""

    model_config = ConfigDict(extra="forbid")

    batch_size: int = Field(200, ge=1, le=100_000)
    bounce_pause_pct: float = Field(10.0, gt=0, le=100)
    unsubscribe_url: str | None = None

    @field_validator("unsubscribe_url")
    @classmethod
    def _https(cls, value: str | None) -> str | None:
        if value is not None and (urlparse(value).scheme != "https" or not urlparse(value).netloc):
            raise ValueError(f"unsubscribe_url must be an https:// URL (RFC 8058), got {value!r}")
        return value


class TenantSettings(BaseModel):
    """Everything a tenant can configure; unknown keys are refused rather than ignored."""

    model_config = ConfigDict(extra="forbid")

    send_mode: SendMode = "dry_run"
    allowlist: list[str] = Field(default_factory=list)
    caps: Caps = Field(default_factory=Caps)
    thresholds: Thresholds = Field(default_factory=Thresholds)
    send_window: SendWindow = Field(default_factory=SendWindow)
    goals: Goals = Field(default_factory=Goals)
    mailbox: str | None = None
    own_addresses: list[str] = Field(default_factory=list)
    approvals: dict[str, Tier] = Field(default_factory=dict)
    # Validated even when left out: a live send mode needs it (or an own address).
    from_address: str | None = Field(None, validate_default=True)
    alert_email: str | None = None
    alert_webhook: str | None = None
    documents_dir: str | None = None
    signature: str | None = None
    providers: dict[str, str] = Field(default_factory=dict)
    holidays: Holidays = Field(default_factory=Holidays)
    deal_stages: dict[str, DealStage] = Field(default_factory=lambda: dict(DEFAULT_DEAL_STAGES))
    quote_reasons: list[str] = Field(default_factory=lambda: list(QUOTE_REASONS), min_length=1)
    feedback: FeedbackSettings = Field(default_factory=FeedbackSettings)
    broadcasts: BroadcastSettings = Field(default_factory=BroadcastSettings)

    @classmethod
    def stored(cls, data: dict[str, Any]) -> TenantSettings:
        """Settings as they were saved. Rules added since (a live send mode needs a sender, a
        send window starts before it ends) are not applied, so a tenant saved before them still
        opens: live mail without a sender then waits at dispatch with an alert that names the
        fix, and the next `tenant update` must make the settings valid."""
        return cls.model_validate(data, context={STORED: True})

    @property
    def sender_address(self) -> str | None:
        """The address live mail goes out from: `from_address`, else the first own address
        that is an address (not a bare domain); None when there is neither."""
        return sender_address(self.from_address, self.own_addresses)

    @field_validator("from_address")
    @classmethod
    def _live_mail_has_a_sender(cls, value: str | None, info: ValidationInfo) -> str | None:
        """Live mail without a sender cannot be sent at all: refuse the setting up front
        rather than queue mail that can only wait."""
        if _stored(info):
            return value
        mode, own = info.data.get("send_mode"), info.data.get("own_addresses")
        if mode in LIVE_SEND_MODES and own is not None and sender_address(value, own) is None:
            raise ValueError(
                f"send mode {mode} sends real mail and needs a sender address: set --from-address"
            )
        return value

    @field_validator("mailbox")
    @classmethod
    def _mailbox_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        scheme = urlparse(value).scheme
        if scheme not in MAILBOX_SCHEMES:
            raise ValueError(
                "mailbox URL must start with one of "
                + ", ".join(s + "://" for s in MAILBOX_SCHEMES)
            )
        if "@" in value and ":" in urlparse(value).netloc.split("@")[0]:
            raise ValueError("mailbox URL must not contain a password; use the environment")
        return value

    @field_validator("approvals")
    @classmethod
    def _approval_kinds(cls, values: dict[str, Tier]) -> dict[str, Tier]:
        unknown = sorted(set(values) - set(KINDS))
        if unknown:
            raise ValueError(f"unknown action kind(s) {', '.join(unknown)}")
        return values

    @field_validator("alert_webhook")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        if value is not None and urlparse(value).scheme not in ("http", "https"):
            raise ValueError("alert webhook must be an http:// or https:// URL")
        return value

    @field_validator("providers")
    @classmethod
    def _providers(cls, values: dict[str, str]) -> dict[str, str]:
        """Who delivers a kind (or a rate-limit bucket of kinds): "file" or a webhook URL."""
        for key, value in values.items():
            if key not in PROVIDER_KEYS:
                raise ValueError(
                    f"no provider can be set for {key!r}; use an action kind or bucket of "
                    + ", ".join(sorted(PROVIDER_KEYS))
                )
            url = urlparse(value)
            if value != "file" and not (url.scheme in ("http", "https") and url.netloc):
                raise ValueError(
                    f'provider {value!r} for {key} must be "file" or an http:// or https:// URL'
                )
        return values

    @field_validator("allowlist", "own_addresses")
    @classmethod
    def _addresses(cls, values: list[str]) -> list[str]:
        cleaned = [v.strip().lower() for v in values if v.strip()]
        for v in cleaned:
            if " " in v or ("@" not in v and "." not in v):
                raise ValueError(f"{v!r} is neither an address nor a domain")
        return cleaned


def _stored(info: ValidationInfo) -> bool:
    return bool(info.context and info.context.get(STORED))


def sender_address(from_address: str | None, own_addresses: list[str]) -> str | None:
    if from_address:
        return from_address
    return next((a for a in own_addresses if "@" in a), None)


def validate_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown timezone {name!r}") from exc
    return name


def validate_slug(slug: str) -> str:
    if not SLUG_PATTERN.match(slug):
        raise ValueError(
            f"invalid tenant slug {slug!r}: use lowercase letters, digits and dashes (max 63)"
        )
    return slug
