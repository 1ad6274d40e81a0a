"""What the agent wants to do, as plain data: an action with a kind, target, reason and key.

Every part of Steward that wants something done (the hourly cycle, the task executor, a person
through the CLI) describes it as an `Action` and hands it to the gate; nothing acts directly. The
kind's spec says how the rules treat it: which rate-limit bucket it draws on, whether it is an
email (and so subject to suppression, touch gaps and send windows), whether it is sensitive (never
automatic) and which approval tier it has unless the tenant configures another.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Tier = Literal["auto", "approval"]
TIERS: tuple[str, ...] = ("auto", "approval")


@dataclass(frozen=True)
class KindSpec:
    bucket: str | None
    email: bool = False
    sensitive: bool = False
    tier: Tier = "auto"
    needs_target: bool = True


KINDS: dict[str, KindSpec] = {
    "send_email": KindSpec(bucket="email", email=True, tier="approval"),
    "follow_up": KindSpec(bucket="email", email=True),
    # A reply quoting the tenant's SOPs, FAQs or fee schedules (agent/answers.py): a person
    # approves it unless the tenant sets faq_reply=auto.
    "faq_reply": KindSpec(bucket="email", email=True, tier="approval"),
    "create_task": KindSpec(bucket=None, needs_target=False),
    "research": KindSpec(bucket="research"),
    "contact_discovery": KindSpec(bucket=None),
    # A campaign's batch (agent/broadcast.py): the gate decides it, the dispatcher expands it
    # into its recipients' mail, which took its email slots with the batch.
    "broadcast_batch": KindSpec(bucket="broadcast", sensitive=True, tier="approval"),
    "broadcast_email": KindSpec(bucket=None, email=True, sensitive=True, tier="approval"),
    "order_fix": KindSpec(bucket=None),
    "social_post": KindSpec(bucket="social", sensitive=True, tier="approval"),
    "newsletter": KindSpec(bucket="newsletter", sensitive=True, tier="approval"),
    "seo_change": KindSpec(bucket="seo"),
    "ads_change": KindSpec(bucket="ads", tier="approval"),
    "payment_change": KindSpec(bucket=None, sensitive=True, tier="approval"),
    "credit_change": KindSpec(bucket=None, sensitive=True, tier="approval"),
    "delete_record": KindSpec(bucket=None, sensitive=True, tier="approval"),
    "bulk_update": KindSpec(bucket=None, sensitive=True, tier="approval"),
}

EMAIL_KINDS = frozenset(k for k, spec in KINDS.items() if spec.email)

# Payload flags that make any action sensitive, whatever its kind.
SENSITIVE_FLAGS = ("bulk", "delete", "payment", "credit", "customer_facing")
# Payload flag of an action its proposer wants a person to approve whatever the tenant's tiers
# say (what a semi-automated task sends); its value is the reason, kept with the decision. It
# can only ask for more approval, never skip one.
APPROVAL_REQUESTED = "approval_requested"

MAX_KEY = 300


class Action(BaseModel):
    """One proposed action. `kind` is free text here so an unknown kind is refused by the
    policy with a reason instead of failing the whole batch at parse time."""

    model_config = ConfigDict(extra="forbid")

    kind: str
    target: str | None = None
    payload: dict[str, Any] = Field(default_factory=dict)
    reason: str = ""
    priority: int = 50
    idempotency_key: str = Field(min_length=1, max_length=MAX_KEY)
    approved_by: str | None = None

    @property
    def spec(self) -> KindSpec | None:
        return KINDS.get(self.kind)

    @property
    def sensitive(self) -> bool:
        spec = self.spec
        return bool(spec and spec.sensitive) or any(self.payload.get(f) for f in SENSITIVE_FLAGS)


def action_key(kind: str, target: str | None, step: str) -> str:
    """An idempotency key from what makes an action the same action: its kind, its target and
    the step that asked for it (a cadence step, a cycle hour, a task id). Long parts are hashed
    so the key stays within the column and stays readable."""
    key = f"{kind}:{(target or '-').lower()}:{step}"
    if len(key) <= MAX_KEY:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"{key[: MAX_KEY - 34]}:{digest}"
