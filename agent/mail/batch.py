"""What the ingest hands the store, and the counts it gets back."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from agent.mail.model import MailFacts, ParsedMessage, RawMail
from agent.mail.signals import is_ours


@dataclass
class Item:
    """One fetched message after parsing and analysis."""

    raw: RawMail
    msg: ParsedMessage
    facts: MailFacts | None  # None when the message could not be analysed (quarantined)
    direction: str  # "in" or "out", from the tenant's own addresses
    quarantine: str | None = None  # why the message is kept aside instead of acted on


@dataclass
class IngestCounts:
    fetched: int = 0
    new: int = 0
    duplicate: int = 0
    quarantined: int = 0
    per_class: Counter = field(default_factory=Counter)
    contacts_created: int = 0
    contacts_enriched: int = 0
    touches: int = 0
    cadence_pauses: int = 0
    suppressed: int = 0
    complaints: int = 0  # spam complaints (feedback-loop reports)
    signals: int = 0
    attachments: int = 0
    per_bounce: Counter = field(default_factory=Counter)  # failed recipients by reason
    per_suppression: Counter = field(default_factory=Counter)  # new suppressions by reason
    our_side: list[str] = field(default_factory=list)  # evidence of failures on our side

    def add(self, other: IngestCounts) -> None:
        for name, value in vars(other).items():
            if isinstance(value, Counter):
                getattr(self, name).update(value)
            else:
                setattr(self, name, getattr(self, name) + value)

    def as_metadata(self) -> dict[str, int]:
        figures = {k: v for k, v in vars(self).items() if isinstance(v, int)}
        figures.update({f"class_{k}": v for k, v in sorted(self.per_class.items())})
        figures.update({f"bounce_{k}": v for k, v in sorted(self.per_bounce.items())})
        figures.update({f"suppressed_{k.replace(':', '_')}": v
                        for k, v in sorted(self.per_suppression.items())})
        return figures


def is_own(email: str | None, own: list[str]) -> bool:
    """The tenant's own address: the same rule the mail analysis uses (domains cover subdomains)."""
    return bool(email) and is_ours(email, own)
