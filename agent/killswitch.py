"""Kill switch decision: which switch, if any, stops a tenant from acting, and why.

Three switches exist and the first one on wins: the global environment variable (reachable even
when the database is not), the global database flag, and the tenant's own `agent_enabled`.
"""

from __future__ import annotations

from dataclasses import dataclass

TRUTHY = {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class KillState:
    active: bool
    scope: str | None = None
    reason: str | None = None

    def describe(self) -> str:
        if not self.active:
            return "kill switches off"
        return f"{self.scope} kill switch on: {self.reason or 'no reason given'}"


def env_switch_on(value: str | None) -> bool:
    return (value or "").strip().lower() in TRUTHY


def decide(
    env_value: str | None,
    env_reason: str | None,
    db_flag: bool,
    db_reason: str | None,
    tenant_enabled: bool | None = None,
    tenant_slug: str | None = None,
) -> KillState:
    if env_switch_on(env_value):
        return KillState(True, "global (STEWARD_KILL_SWITCH)", env_reason)
    if db_flag:
        return KillState(True, "global (database)", db_reason)
    if tenant_enabled is False:
        return KillState(True, f"tenant {tenant_slug}", "agent disabled for this tenant")
    return KillState(False)
