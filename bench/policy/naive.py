"""The naive baseline: the same rules, asking PostgreSQL per action.

It exists as the yardstick: each rule written the straightforward way, with a prepared,
parameterized query whenever the rule at hand needs something, lazily and in rule order, over one
connection. Its verdicts must match Steward's decisions on every sampled action.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from email_validator import EmailNotValidError, validate_email

from agent.actions import EMAIL_KINDS, KINDS, Action
from agent.killswitch import decide
from agent.policy import window_start
from agent.settings import TenantSettings
from bench.policy.world import NOW, World
from resources.store.policy_state import LIVE_OUTBOX
from resources.store.system_config import KEY as KILL_KEY

Q_TENANT = "SELECT timezone, agent_enabled, settings FROM tenants WHERE id = %s"
Q_KILL = "SELECT value, reason FROM system_config WHERE key = %s"
Q_SIGNAL = """SELECT 1 FROM signals WHERE tenant_id = %s AND id = %s AND kind = 'human_request'
    AND actioned_at IS NULL"""
Q_ENGAGEMENT = """SELECT count(*) FROM contacts c
    WHERE c.tenant_id = %s AND c.email IS NOT NULL
      AND coalesce(c.last_touch_at, c.created_at) < %s
      AND lower(c.email) NOT IN (
          SELECT lower(s.email) FROM suppressions s WHERE s.tenant_id = %s)"""
Q_DEALS = "SELECT count(*) FROM deals WHERE tenant_id = %s AND stage NOT IN ('won', 'lost')"
Q_SUPPRESSED = "SELECT reason FROM suppressions WHERE tenant_id = %s AND lower(email) = %s LIMIT 1"
Q_LAST_TOUCH = """SELECT max(at) FROM (
      SELECT t.occurred_at AS at FROM touches t JOIN contacts c ON c.id = t.contact_id
       WHERE t.tenant_id = %s AND c.tenant_id = %s AND lower(c.email) = %s
         AND t.touch_type NOT LIKE '%%!_in' ESCAPE '!'
      UNION ALL
      SELECT coalesce(o.sent_at, o.created_at) FROM outbox o
       WHERE o.tenant_id = %s AND lower(o.target) = %s
         AND o.kind IN ('send_email', 'follow_up') AND o.status = ANY(%s)) AS last"""
Q_OOO = """SELECT max(ooo_until) FROM contacts
    WHERE tenant_id = %s AND lower(email) = %s AND ooo_until IS NOT NULL"""
Q_USAGE = """SELECT "window", count FROM rate_limit_counters
    WHERE tenant_id = %s AND action_kind = %s
      AND (("window" = 'hour' AND window_start = %s) OR ("window" = 'day' AND window_start = %s))"""

Verdict = tuple[str, str, datetime | None]


@dataclass
class Naive:
    """A tenant's context (its settings and kill switches, read once like any request would);
    everything else comes from PostgreSQL when a rule asks for it."""

    conn: psycopg.Connection
    tenant_id: int
    settings: TenantSettings
    zone: ZoneInfo
    killed: bool
    goals_behind: bool
    compliance_due: frozenset[int]
    queries: int = 0

    def one(self, sql: str, *params: Any) -> Any:
        self.queries += 1
        row = self.conn.execute(sql, params, prepare=True).fetchone()
        return row[0] if row is not None else None

    def decide(self, action: Action, now: datetime) -> Verdict:
        spec = KINDS.get(action.kind)
        if spec is None:
            return "block", "invalid_action", None
        if spec.needs_target and not (action.target or "").strip():
            return "block", "invalid_action", None
        if spec.email:
            try:
                validate_email(action.target or "", check_deliverability=False)
            except EmailNotValidError:
                return "block", "invalid_address", None
        if self.killed:
            return "defer", "kill_switch", None
        kind, payload = action.kind, action.payload
        address = (action.target or "").strip().lower()
        if kind == "create_task" and not self.task_basis(payload):
            return "block", "no_human_tasks", None
        if kind == "research":
            cutoff = now - timedelta(days=self.settings.thresholds.engagement_days)
            if self.one(Q_ENGAGEMENT, self.tenant_id, cutoff, self.tenant_id) > 0:
                return "block", "research_after_engagement", None
            thin = self.one(Q_DEALS, self.tenant_id) < self.settings.thresholds.thin_pipeline_deals
            if not (self.goals_behind or thin):
                return "block", "research_not_needed", None
        if kind in EMAIL_KINDS:
            if self.one(Q_SUPPRESSED, self.tenant_id, address) is not None:
                return "block", "suppressed", None
            if self.settings.send_mode == "internal_only":
                domain = address.rpartition("@")[2]
                if not any(
                    entry == address or ("@" not in entry and entry == domain)
                    for entry in self.settings.allowlist
                ):
                    return "block", "send_mode", None
        if not action.approved_by:
            if action.sensitive:
                return "approval", "sensitive_action", None
            tier = self.settings.approvals.get(kind) or spec.tier
            if kind == "send_email" and kind not in self.settings.approvals:
                if payload.get("cadence") or payload.get("faq"):
                    tier = "auto"
            if tier == "approval":
                return "approval", "approval_tier", None
        if kind in EMAIL_KINDS:
            timing = self.timing(address, now)
            if timing is not None:
                return timing
        if spec.bucket is not None:
            return self.rate(spec.bucket, now)
        return "allow", "allowed", None

    def task_basis(self, payload: dict[str, Any]) -> bool:
        basis = payload.get("basis")
        if basis == "client_request":
            signal = payload.get("signal_id")
            if not isinstance(signal, int) or isinstance(signal, bool):
                return False
            return self.one(Q_SIGNAL, self.tenant_id, signal) is not None
        if basis == "compliance_due":
            return payload.get("compliance_id") in self.compliance_due
        if basis == "safety_escalation":
            return bool(str(payload.get("escalation_reason", "")).strip())
        return False

    def timing(self, address: str, now: datetime) -> Verdict | None:
        gap = timedelta(hours=self.settings.thresholds.min_touch_gap_hours)
        t = self.tenant_id
        last = self.one(Q_LAST_TOUCH, t, t, address, t, address, list(LIVE_OUTBOX))
        if last is not None and now - last < gap:
            return "defer", "min_touch_gap", last + gap
        back = self.one(Q_OOO, t, address)
        local = now.astimezone(self.zone)
        if back is not None and local.date() <= back:
            return (
                "defer",
                "out_of_office",
                datetime.combine(back + timedelta(days=1), clock(0), self.zone),
            )
        window = self.settings.send_window

        def open_day(day: date) -> bool:
            return window.weekends or day.weekday() < 5

        if not (open_day(local.date()) and window.start_hour <= local.hour < window.end_hour):
            day = local.date() if local.hour < window.start_hour else local.date() + timedelta(1)
            while not open_day(day):
                day += timedelta(days=1)
            return (
                "defer",
                "send_window",
                datetime.combine(day, clock(window.start_hour), self.zone),
            )
        return None

    def rate(self, bucket: str, now: datetime) -> Verdict:
        hour = window_start("hour", now, self.zone).astimezone(UTC)
        day = window_start("day", now, self.zone).astimezone(UTC)
        self.queries += 1
        used = dict(
            self.conn.execute(Q_USAGE, (self.tenant_id, bucket, hour, day), prepare=True).fetchall()
        )
        for window, cap in self.settings.caps.limits(bucket).items():
            if used.get(window, 0) >= cap:
                end = (
                    hour + timedelta(hours=1)
                    if window == "hour"
                    else datetime.combine(
                        now.astimezone(self.zone).date() + timedelta(days=1), clock(0), self.zone
                    )
                )
                return "defer", "rate_limit", end
        return "allow", "allowed", None


def naive(
    dsn: str, worlds: list[World], by_tenant: list[list[tuple[int, Action]]]
) -> tuple[float, int, dict[int, Verdict]]:
    """(seconds, queries, decisions by action index) over one connection."""
    verdicts: dict[int, Verdict] = {}
    queries = 0
    with psycopg.connect(dsn) as conn:
        started = time.perf_counter()
        for world, actions in zip(worlds, by_tenant, strict=True):
            with conn.transaction():
                conn.execute(
                    "SELECT set_config('steward.tenant_id', %s, true)", (str(world.tenant_id),)
                )
                timezone, enabled, settings = conn.execute(Q_TENANT, (world.tenant_id,)).fetchone()
                flag = conn.execute(Q_KILL, (KILL_KEY,)).fetchone()
                kill = decide(
                    os.environ.get("STEWARD_KILL_SWITCH"),
                    None,
                    bool(flag and (flag[0] or {}).get("on")),
                    flag[1] if flag else None,
                    tenant_enabled=enabled,
                )
                engine = Naive(
                    conn,
                    world.tenant_id,
                    TenantSettings.model_validate(settings),
                    ZoneInfo(timezone),
                    kill.active,
                    world.profile.goals_behind,
                    world.compliance_due,
                    queries=2,
                )
                for index, action in actions:
                    verdicts[index] = engine.decide(action, NOW)
                queries += engine.queries
        seconds = time.perf_counter() - started
    return seconds, queries, verdicts
