"""Insights from the warehouse's facts: daily anomalies per metric, weekly client patterns, and
the recommendations the next cycle acts on. Pure rules: series and rows in, findings out, each
with its evidence and, when it finds nothing, why ("not enough data" is a result, never an
invented pattern).

Anomalies compare a day with the same weekday of the weeks before (a Monday with a Monday: small
businesses have weekly rhythms) by a robust z-score, the distance from the median in units of
the median absolute deviation (scaled to a standard deviation), with a floor under the MAD so
that a metric that is nearly always the same does not flag every small wobble, and a minimum
absolute change so that 1 -> 3 orders is not news.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

MAD_SCALE = 1.4826  # MAD to standard deviation for normal data
THRESHOLD = 3.5  # robust z beyond which a day is an anomaly (Iglewicz and Hoaglin)
MIN_WEEKS = 4  # same-weekday days of history needed before a day is judged
BASELINE_WEEKS = 8


@dataclass(frozen=True)
class Metric:
    name: str
    label: str
    mad_floor: float  # the least spread assumed, in the metric's unit
    min_change: float  # the least distance from the baseline that is news


METRICS: tuple[Metric, ...] = (
    Metric("orders_placed", "orders placed", 1.0, 3),
    Metric("order_value", "value of orders placed", 100.0, 500),
    Metric("delivered_value", "revenue invoiced (orders delivered)", 100.0, 500),
    Metric("received", "mail received", 2.0, 10),
    Metric("sent", "mail sent", 2.0, 10),
    Metric("bounces_hard", "hard bounces", 1.0, 3),
    Metric("complaints", "spam complaints", 0.5, 2),
    Metric("touches_out", "touches to contacts", 2.0, 5),
    Metric("decisions_blocked", "actions the gate blocked", 1.0, 5),
    Metric("negative_feedback", "negative feedback answers", 0.5, 2),
)


@dataclass(frozen=True)
class Anomaly:
    metric: str
    day: date
    status: str  # anomaly | normal | not_enough_data | no_variation | not_built
    reason: str
    actual: float | None = None
    baseline: float | None = None
    low: float | None = None
    high: float | None = None
    score: float | None = None
    evidence: list[list[Any]] = field(default_factory=list)  # [day, value] the baseline used

    @property
    def direction(self) -> str | None:
        if self.status != "anomaly" or self.score is None:
            return None
        return "up" if self.score > 0 else "down"


def same_weekdays(day: date, weeks: int = BASELINE_WEEKS) -> list[date]:
    return [day - timedelta(weeks=n) for n in range(1, weeks + 1)]


def judge(metric: Metric, day: date, values: dict[date, float]) -> Anomaly:
    """`values` holds the metric for every built day (0 where the day had no events); a day
    missing from it was never built, so it says nothing either way."""
    if day not in values:
        return Anomaly(metric.name, day, "not_built", f"{day} is not built in the warehouse")
    actual = float(values[day])
    history = [(d, float(values[d])) for d in same_weekdays(day) if d in values]
    evidence = [[d.isoformat(), v] for d, v in history]
    if len(history) < MIN_WEEKS:
        return Anomaly(metric.name, day, "not_enough_data",
                       f"{len(history)} earlier {day:%A}(s) built, {MIN_WEEKS} needed",
                       actual=actual, evidence=evidence)
    past = [v for _, v in history]
    if not any(past) and not actual:
        return Anomaly(metric.name, day, "no_variation",
                       f"always 0 on {day:%A}s: nothing to compare", actual=actual,
                       baseline=0.0, evidence=evidence)
    median = statistics.median(past)
    spread = max(MAD_SCALE * statistics.median(abs(v - median) for v in past), metric.mad_floor)
    score = (actual - median) / spread
    low, high = max(0.0, median - THRESHOLD * spread), median + THRESHOLD * spread
    found = dict(actual=actual, baseline=median, low=round(low, 2), high=round(high, 2),
                 score=round(score, 2), evidence=evidence)
    if abs(score) < THRESHOLD:
        return Anomaly(metric.name, day, "normal",
                       f"{actual:g} is within {low:.1f}-{high:.1f} (median {median:g})", **found)
    if abs(actual - median) < metric.min_change:
        return Anomaly(metric.name, day, "normal",
                       f"{actual:g} against a median of {median:g}: outside the band but less "
                       f"than {metric.min_change:g} apart", **found)
    way = "above" if score > 0 else "below"
    return Anomaly(metric.name, day, "anomaly",
                   f"{metric.label}: {actual:g} is {way} the expected {low:.1f}-{high:.1f} "
                   f"(median of the last {len(past)} {day:%A}s {median:g}, robust z {score:.1f})",
                   **found)


# Client patterns ----------------------------------------------------------------------------

MIN_ORDERS = 4  # orders before an account's cadence means anything
CHURN_MEDIUM, CHURN_HIGH = 2.0, 3.0  # days since the last order / usual interval
MIN_REPLIES = 8  # inbound mails before reply hours are shown
MIN_DECIDED = 3  # decided quotes before win/loss reasons are shown
SEASON_DAYS = 365  # history an account needs before its seasonality is judged
SEASON_PEAK = 2.0  # busiest month against the average month


@dataclass(frozen=True)
class Pattern:
    account_id: int
    account: str
    orders: int
    status: str  # pattern | not_enough_data
    reason: str
    median_interval_days: float | None = None
    last_order_on: date | None = None
    days_since: int | None = None
    overdue_ratio: float | None = None
    churn_risk: str | None = None
    seasonality: str | None = None
    reply_hours: list[int] = field(default_factory=list)
    win_loss: dict[str, int] = field(default_factory=dict)
    intervals: list[int] = field(default_factory=list)


def account_pattern(account_id: int, account: str, order_days: list[date], as_of: date,
                    reply_times: list[datetime], outcomes: list[tuple[str, str | None]]
                    ) -> Pattern:
    """One account's habits. `reply_times` are its people's mails to the tenant in the
    tenant's local time, `outcomes` its decided quotes as (status, reason code)."""
    days = sorted(set(d for d in order_days if d <= as_of))
    hours = _reply_hours(reply_times)
    win_loss = _win_loss(outcomes)
    if len(days) < MIN_ORDERS:
        return Pattern(account_id, account, len(days), "not_enough_data",
                       f"{len(days)} order day(s), {MIN_ORDERS} needed for a cadence",
                       last_order_on=days[-1] if days else None,
                       days_since=(as_of - days[-1]).days if days else None,
                       reply_hours=hours, win_loss=win_loss)
    intervals = [(b - a).days for a, b in zip(days, days[1:], strict=False)]
    usual = float(statistics.median(intervals))
    since = (as_of - days[-1]).days
    ratio = since / usual if usual else 0.0
    risk = "high" if ratio >= CHURN_HIGH else "medium" if ratio >= CHURN_MEDIUM else "low"
    return Pattern(
        account_id, account, len(days), "pattern",
        f"orders every {usual:g} days (median of {len(intervals)} gaps); last {since} days ago",
        median_interval_days=usual, last_order_on=days[-1], days_since=since,
        overdue_ratio=round(ratio, 2), churn_risk=risk, seasonality=_season(days, as_of),
        reply_hours=hours, win_loss=win_loss, intervals=intervals,
    )


def _reply_hours(times: list[datetime]) -> list[int]:
    if len(times) < MIN_REPLIES:
        return []
    counts: dict[int, int] = {}
    for at in times:
        counts[at.hour] = counts.get(at.hour, 0) + 1
    return sorted(sorted(counts, key=lambda h: (-counts[h], h))[:3])


def _win_loss(outcomes: list[tuple[str, str | None]]) -> dict[str, int]:
    if len(outcomes) < MIN_DECIDED:
        return {}
    counts: dict[str, int] = {}
    for status, reason in outcomes:
        key = f"{status}:{reason or 'unstated'}"
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


def _season(days: list[date], as_of: date) -> str:
    if (as_of - days[0]).days < SEASON_DAYS:
        return f"not enough data: {(as_of - days[0]).days} days of orders, {SEASON_DAYS} needed"
    months = [0] * 12
    for d in days:
        months[d.month - 1] += 1
    mean = sum(months) / 12
    peak = max(range(12), key=lambda m: months[m])
    if months[peak] < SEASON_PEAK * mean:
        return "no seasonal peak"
    return f"busiest in {date(2000, peak + 1, 1):%B} ({months[peak]} of {len(days)} order days)"


# Recommendations ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Recommendation:
    key: str
    kind: str
    account_id: int
    title: str
    support: int
    evidence: dict[str, Any]
    action: dict[str, Any]  # kind, target, payload, reason: what the plan proposes to the gate


def recommendations(patterns: list[Pattern], contacts: dict[int, dict[str, Any]]
                    ) -> list[Recommendation]:
    """A check-in with each client whose orders stopped well past its usual rhythm (medium or
    high churn risk), addressed to the account's contact; nothing for an account without a
    reachable contact or without a cadence."""
    found = []
    for p in patterns:
        contact = contacts.get(p.account_id)
        if p.status != "pattern" or p.churn_risk == "low" or not contact:
            continue
        key = f"reorder:{p.account_id}:{p.last_order_on}"
        title = (f"{p.account} usually orders every {p.median_interval_days:g} days and has been "
                 f"silent for {p.days_since}: check in with {contact['name'] or contact['email']}")
        found.append(Recommendation(
            key=key, kind="reorder_check_in", account_id=p.account_id, title=title,
            support=p.orders,
            evidence={"intervals": p.intervals, "median_interval_days": p.median_interval_days,
                      "last_order_on": str(p.last_order_on), "days_since": p.days_since,
                      "overdue_ratio": p.overdue_ratio, "churn_risk": p.churn_risk},
            action={"kind": "follow_up", "target": contact["email"],
                    "payload": {"template": "reorder_check_in", "cadence": "insight",
                                "contact_id": contact["id"], "insight": key,
                                "vars": {"first_name": contact.get("first_name") or "there",
                                         "account": p.account}},
                    "reason": title},
        ))
    return found
