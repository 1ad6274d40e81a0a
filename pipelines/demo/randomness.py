"""Small seeded helpers shared by the row, mail and document generators.

Every helper takes the caller's `random.Random` so that output depends only on the seed, never on
the global generator or the wall clock.
"""

from __future__ import annotations

import random
import re
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from faker import Faker

CENT = Decimal("0.01")


def money(value: float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def days_ago(rng: random.Random, now: datetime, low: float, high: float) -> datetime:
    """A moment between `low` and `high` days before `now`, to the minute (as stored data is)."""
    moment = now - timedelta(days=rng.uniform(low, high))
    return moment.replace(second=0, microsecond=0)


def spread(rng: random.Random, count: int, weights: dict[str, float]) -> list[str]:
    """`count` labels in roughly the given shares, shuffled, with each label present when it fits.

    Sampling each item independently can leave a rare case out of a small data set; the business
    rules downstream need every case to be there, so shares are allocated, not drawn.
    """
    total = sum(weights.values())
    labels: list[str] = []
    for label, weight in weights.items():
        labels += [label] * max(1, round(count * weight / total))
    common = max(weights, key=lambda k: weights[k])
    while len(labels) < count:
        labels.append(common)
    while len(labels) > count:
        labels.remove(max(weights, key=labels.count))
    rng.shuffle(labels)
    return labels


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def phone(rng: random.Random) -> str:
    """A North American number with a plausible area code (no leading 0 or 1)."""
    return f"({rng.randint(201, 989)}) {rng.randint(200, 999)}-{rng.randint(0, 9999):04d}"


class NamePool:
    """Person names drawn from a seeded pool of Faker names.

    Faker's weighted name lookup costs tens of microseconds a call, which dominated building a
    2,000-contact tenant; a pool of a few hundred names keeps variety and makes it cheap.
    """

    def __init__(self, fake: Faker, rng: random.Random, size: int = 300):
        self.rng = rng
        self.first = [fake.first_name() for _ in range(size)]
        self.last = [fake.last_name() for _ in range(size)]

    def first_name(self) -> str:
        return self.rng.choice(self.first)

    def last_name(self) -> str:
        return self.rng.choice(self.last)
