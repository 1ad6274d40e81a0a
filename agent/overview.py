"""What a tenant's state looks like at a glance: the figures a person checks first."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd


def engagement_snapshot(
    last_touch: pd.Series, now: datetime, engagement_days: int
) -> dict[str, int]:
    """Contacts touched within the engagement window, past it, and never touched."""
    touched = pd.to_datetime(last_touch, utc=True)
    cutoff = pd.Timestamp(now - timedelta(days=engagement_days))
    return {
        "contacts_within_window": int((touched >= cutoff).sum()),
        "contacts_past_window": int((touched < cutoff).sum()),
        "contacts_never_touched": int(touched.isna().sum()),
    }


def as_markdown(rows: list[dict[str, object]]) -> str:
    if not rows:
        return "_no tenants_"
    columns = list(rows[0])
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(str(r.get(c, "")) for c in columns) + " |" for r in rows]
    return "\n".join(lines)
