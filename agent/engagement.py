"""The 21-day engagement engine: every contact (and account) touched at least every N days.

A clock runs per contact from our last touch (an email we sent, a call, a meeting, a touch a
person recorded by hand) or, never touched, from when the contact was added. Mail from the
contact does not reset it: an unanswered message is someone waiting, which raises the priority. The
clock says when the next touch is due and whether the contact is compliant, due soon or overdue
(with days overdue). Whom to touch next is a priority score: how overdue, how valuable the
account, open deals, and a recent message from them that deserves an answer. Contacts without
an email address cannot be followed up by mail and are reported as unreachable.

Everything is computed on whole frames at once (one pass per tenant, no per-contact queries).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

COMPLIANT, DUE_SOON, OVERDUE, UNREACHABLE = "compliant", "due_soon", "overdue", "unreachable"
RECENT_INBOUND_DAYS = 7
OVERDUE_CAP_DAYS = 60


@dataclass(frozen=True)
class EngagementStats:
    contacts: int
    compliant: int
    due_soon: int
    overdue: int
    unreachable: int
    never_touched: int
    mean_days_overdue: float
    accounts: int
    accounts_overdue: int

    @property
    def compliance_rate(self) -> float:
        """Share of reachable contacts within their window (due soon is still within it)."""
        reachable = self.contacts - self.unreachable
        return 1.0 if reachable == 0 else (self.compliant + self.due_soon) / reachable


def contact_clocks(
    contacts: pd.DataFrame,
    touches: pd.DataFrame,
    deals: pd.DataFrame,
    now: datetime,
    engagement_days: int = 21,
    due_soon_days: int = 3,
) -> pd.DataFrame:
    """One row per contact: last touch (when, type, by whom), next due, status, days overdue,
    last inbound message, open deals and value, and a priority score (higher: touch first).

    contacts: id, email, account_id, created_at, last_touch_at (a touch recorded by hand), and
              any other columns, which are kept
    touches:  contact_id, touch_type, occurred_at, by_whom
    deals:    contact_id, account_id, stage, amount
    """
    now_ts = _utc(pd.Series([now])).iloc[0]
    clocks = contacts.drop(columns=["last_touch_at"])  # other columns (names) ride along
    clocks["created_at"] = _utc(contacts["created_at"])
    last = _last_touches(touches)
    clocks = clocks.merge(last, how="left", left_on="id", right_index=True)
    manual = _utc(contacts["last_touch_at"]).to_numpy()
    recorded = pd.notna(manual) & ~(clocks["last_touch_at"] >= manual).to_numpy()
    clocks.loc[recorded, "last_touch_at"] = manual[recorded]
    clocks.loc[recorded, "last_touch_type"] = "recorded"
    clocks["never_touched"] = clocks["last_touch_at"].isna()
    start = clocks["last_touch_at"].fillna(clocks["created_at"])
    clocks["next_due_at"] = start + pd.Timedelta(days=engagement_days)
    left = (clocks["next_due_at"] - now_ts) / pd.Timedelta(days=1)
    clocks["days_overdue"] = np.floor((-left).clip(lower=0)).astype(int)
    email = clocks["email"].fillna("").astype(str).str.strip()
    clocks["status"] = np.select(
        [email.eq(""), left < 0, left <= due_soon_days],
        [UNREACHABLE, OVERDUE, DUE_SOON],
        COMPLIANT,
    )
    clocks = _with_deals(clocks, deals)
    clocks["recent_inbound"] = clocks["last_inbound_at"].notna() & (
        now_ts - clocks["last_inbound_at"] <= pd.Timedelta(days=RECENT_INBOUND_DAYS)
    )
    clocks["priority"] = _priority(clocks)
    return clocks


def account_clocks(clocks: pd.DataFrame) -> pd.DataFrame:
    """Per account: its most recent touch across its contacts and the worst contact status."""
    with_account = clocks[clocks["account_id"].notna()]
    grouped = with_account.groupby("account_id")
    return pd.DataFrame(
        {
            "last_touch_at": grouped["last_touch_at"].max(),
            "contacts": grouped.size(),
            "overdue_contacts": (with_account["status"] == OVERDUE)
            .groupby(with_account["account_id"])
            .sum()
            .astype(int),
            "max_days_overdue": grouped["days_overdue"].max(),
        }
    )


def stats(clocks: pd.DataFrame) -> EngagementStats:
    status = clocks["status"]
    overdue = clocks[status == OVERDUE]
    accounts = account_clocks(clocks)
    return EngagementStats(
        contacts=len(clocks),
        compliant=int((status == COMPLIANT).sum()),
        due_soon=int((status == DUE_SOON).sum()),
        overdue=len(overdue),
        unreachable=int((status == UNREACHABLE).sum()),
        never_touched=int(clocks["never_touched"].sum()),
        mean_days_overdue=float(overdue["days_overdue"].mean()) if len(overdue) else 0.0,
        accounts=len(accounts),
        accounts_overdue=int((accounts["overdue_contacts"] > 0).sum()),
    )


def next_to_touch(
    clocks: pd.DataFrame, limit: int, exclude: set[str] = frozenset()
) -> pd.DataFrame:
    """The overdue and due-soon contacts to touch now, best first, at most `limit`."""
    if limit <= 0:
        return clocks.iloc[0:0]
    candidates = clocks[clocks["status"].isin((OVERDUE, DUE_SOON))]
    if exclude:
        candidates = candidates[~candidates["email"].str.lower().isin(exclude)]
    return candidates.sort_values(["priority", "id"], ascending=[False, True]).head(limit)


def _last_touches(touches: pd.DataFrame) -> pd.DataFrame:
    columns = ["last_touch_at", "last_touch_type", "last_touch_by", "last_inbound_at"]
    if touches.empty:
        return pd.DataFrame(columns=columns, index=pd.Index([], name="contact_id")).astype(
            {"last_touch_at": "datetime64[ns, UTC]", "last_inbound_at": "datetime64[ns, UTC]"}
        )
    t = touches.dropna(subset=["contact_id"]).copy()
    t["occurred_at"] = _utc(t["occurred_at"])
    incoming = t["touch_type"].astype(str).str.endswith("_in")
    ours, inbound = t[~incoming], t[incoming]
    latest = ours.sort_values("occurred_at").groupby("contact_id").tail(1).set_index("contact_id")
    return pd.DataFrame(
        {
            "last_touch_at": latest["occurred_at"],
            "last_touch_type": latest["touch_type"],
            "last_touch_by": latest["by_whom"],
            "last_inbound_at": inbound.groupby("contact_id")["occurred_at"].max(),
        }
    )


def _with_deals(clocks: pd.DataFrame, deals: pd.DataFrame) -> pd.DataFrame:
    open_deals = deals[~deals["stage"].isin(("won", "lost"))].copy()
    open_deals["amount"] = pd.to_numeric(open_deals["amount"], errors="coerce").fillna(0.0)
    per_contact = open_deals.groupby("contact_id").size()
    per_account = open_deals.groupby("account_id")["amount"].sum()
    clocks["open_deals"] = clocks["id"].map(per_contact).fillna(0).astype(int)
    clocks["account_value"] = clocks["account_id"].map(per_account).fillna(0.0).astype(float)
    return clocks


def _priority(clocks: pd.DataFrame) -> pd.Series:
    """0-100: overdue days weigh most, then open deals, account value and a recent inbound
    message (someone waiting for us). Unreachable contacts score 0."""
    overdue = clocks["days_overdue"].clip(upper=OVERDUE_CAP_DAYS) / OVERDUE_CAP_DAYS
    deals = clocks["open_deals"].clip(upper=3) / 3
    value = np.log1p(clocks["account_value"].clip(lower=0)) / np.log1p(100_000)
    score = 50 * overdue + 20 * deals + 15 * value.clip(upper=1) + 15 * clocks["recent_inbound"]
    score[clocks["status"] == UNREACHABLE] = 0
    return score.round(2)


def _utc(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, utc=True, errors="coerce")
