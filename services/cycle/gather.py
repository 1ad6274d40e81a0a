"""Gather what the plan needs about one tenant, in a fixed handful of set-based queries.

Contacts with their last touches come back as frames for the engagement engine (the latest
outbound touch per contact by a window function, the latest inbound by an aggregate), so the
cost is one pass over the tenant's rows, not a query per contact. Goals, pipeline, open client
requests and the email budget left this hour complete the picture; new orders are validated
here too, and their safe fixes join the plan. What the cadence engines propose (deals, quotes,
feedback, broadcasts, compliance) arrives through `ENGINES`, and replies drafted from the
tenant's documents to new inquiries (or tasks for a person) through `answer_inquiries`.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from agent.engagement import stats
from agent.goals import month_bounds, pace
from agent.planner import PlanInputs
from resources.database import TenantScope
from resources.store import ledger, ratelimit
from resources.store.schema import (
    actions,
    contacts,
    deals,
    messages,
    orders,
    signals,
)
from resources.store.suppressions import every_reason
from services.broadcasts.engine import broadcasts_engine
from services.cadence.advance import Advanced
from services.cadence.compliance import compliance_engine
from services.cadence.deals import deals_engine
from services.cadence.feedback import feedback_engine
from services.cadence.quotes import quotes_engine
from services.clocks import engagement_clocks
from services.documents.answers import Answers, answer_inquiries
from services.insights.proposals import recommended_actions
from services.orders import OrdersResult, validate_new_orders

# The cadence engines (services/cadence): each moves its enrollments for one tenant and hour and
# returns the actions it proposes with its counts (proposed, waiting, stopped, completed).
ENGINES: dict[str, Callable[[TenantScope, datetime], Advanced]] = {
    "deals": deals_engine,
    "quotes": quotes_engine,
    "feedback": feedback_engine,
    "compliance": compliance_engine,
    "broadcasts": broadcasts_engine,
}


@dataclass
class Gathered:
    inputs: PlanInputs
    orders: OrdersResult
    new_messages: int
    engines: dict[str, Counter] = field(default_factory=dict)
    stalled_deals: int = 0
    inquiries: Counter = field(default_factory=Counter)
    recommended: int = 0  # the insights' recommendations proposed this hour

    def summary(self) -> dict:
        s = self.inputs.stats
        return {
            "contacts": s.contacts,
            "compliance_rate": round(s.compliance_rate, 4),
            "overdue": s.overdue,
            "due_soon": s.due_soon,
            "unreachable": s.unreachable,
            "email_budget": self.inputs.email_budget,
            "pace": self.inputs.pace.summary,
            "goals_behind": self.inputs.pace.behind,
            "pipeline_thin": self.inputs.pipeline_thin,
            "client_requests": len(self.inputs.requests),
            "orders_checked": self.orders.checked,
            "orders_on_hold": self.orders.on_hold,
            "order_fixes": len(self.orders.fixes),
            "new_messages": self.new_messages,
            "stalled_deals": self.stalled_deals,
            "inquiries_answered": self.inquiries["drafted"],
            "inquiries_left_for_person": self.inquiries["left_for_person"],
            "recommendations_proposed": self.recommended,
            **{f"cadence_{engine}_{outcome}": n for engine, counts in sorted(self.engines.items())
               for outcome, n in sorted(counts.items())},
        }


def gather(
    scope: TenantScope,
    hour: datetime,
    now: datetime,
    since: datetime | None,
    validate_orders: bool = True,
    cycle_id: int | None = None,
) -> Gathered:
    """`validate_orders=False` (a replay) leaves the orders and the cadences as they are;
    `cycle_id` is this cycle's record, whose own earlier proposals (a rerun of the hour) are
    proposed again."""
    settings = scope.tenant.settings
    clocks = engagement_clocks(scope, hour)
    engagement = stats(clocks)
    order_check = validate_new_orders(scope, now) if validate_orders else OrdersResult()
    advanced = _run_engines(scope, hour) if validate_orders else {}
    answers = answer_inquiries(scope, hour, cycle_id) if validate_orders else Answers()
    decided = ledger.decided_before(scope, cycle_id, actions.c.kind == "follow_up")
    recommended = recommended_actions(scope, decided, now) if validate_orders else []
    inputs = PlanInputs(
        hour=hour,
        clocks=clocks,
        stats=engagement,
        email_budget=_email_budget(scope, hour),
        pace=_pace(scope, hour),
        pipeline_thin=_open_deal_count(scope) < settings.thresholds.thin_pipeline_deals,
        requests=_requests(scope),
        passed_on=order_check.fixes + [a for done in advanced.values() for a in done.actions]
        + answers.actions + recommended,
        suppressed=frozenset(every_reason(scope)),
        decided=decided,
    )
    return Gathered(inputs, order_check, _new_messages(scope, since),
                    {name: done.counts for name, done in advanced.items()}, _stalled_deals(scope),
                    answers.counts, len(recommended))


def _run_engines(scope: TenantScope, hour: datetime) -> dict[str, Advanced]:
    """Each engine's result, its own time counted with it (`ms`), so the cycle's figures show
    what each engine costs per tenant."""
    done = {}
    for name, engine in ENGINES.items():
        started = time.perf_counter()
        done[name] = engine(scope, hour)
        done[name].counts["ms"] = round((time.perf_counter() - started) * 1000)
    return done


def _stalled_deals(scope: TenantScope) -> int:
    return int(scope.scalar(
        scope.select(sa.func.count()).select_from(deals)
        .where(deals.c.stalled_at.is_not(None), deals.c.stage.not_in(("won", "lost")))
    ))


def _open_deal_count(scope: TenantScope) -> int:
    return int(
        scope.scalar(
            scope.select(sa.func.count())
            .select_from(deals)
            .where(deals.c.stage.not_in(("won", "lost")))
        )
    )


def _email_budget(scope: TenantScope, hour: datetime) -> int:
    """Follow-ups that fit this hour: the hourly cap, less what earlier hours took of the day's.
    This hour's own use is not subtracted, so a rerun of the hour proposes the same follow-ups
    (which the gate then recognises) instead of fewer."""
    caps = scope.tenant.settings.caps
    used = ratelimit.usage(scope, hour)
    earlier_today = used.get(("email", "day"), 0) - used.get(("email", "hour"), 0)
    return max(0, min(caps.emails_per_hour, caps.emails_per_day - earlier_today))


def _pace(scope: TenantScope, hour: datetime):
    start, _ = month_bounds(hour)
    row = scope.execute(
        scope.select(
            sa.func.count(), sa.func.coalesce(sa.func.sum(orders.c.total_amount), 0)
        ).where(
            orders.c.ordered_at >= start,
            orders.c.ordered_at < hour,
            orders.c.status.not_in(("cancelled",)),
        )
    ).one()
    goals = scope.tenant.settings.goals
    return pace(hour, int(row[0]), float(row[1]), goals.orders_per_month, goals.revenue_per_month)


def _requests(scope: TenantScope) -> list[dict]:
    rows = scope.execute(
        scope.select(signals.c.id, signals.c.evidence, contacts.c.email)
        .select_from(signals.outerjoin(contacts, signals.c.contact_id == contacts.c.id))
        .where(signals.c.kind == "human_request", signals.c.actioned_at.is_(None))
        .order_by(signals.c.id)
    )
    return [{"signal_id": r.id, "evidence": r.evidence, "email": r.email} for r in rows]


def _new_messages(scope: TenantScope, since: datetime | None) -> int:
    query = scope.select(sa.func.count()).select_from(messages)
    if since is not None:
        query = query.where(messages.c.created_at >= since)
    return int(scope.scalar(query))
