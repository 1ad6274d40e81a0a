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
from datetime import UTC, datetime

import numpy as np
import pandas as pd

COMPLIANT, DUE_SOON, OVERDUE, UNREACHABLE = "compliant", "due_soon", "overdue", "unreachable"
RECENT_INBOUND_DAYS = 7
OVERDUE_CAP_DAYS = 60
TOUCH_COLUMNS = ("last_touch_at", "last_outbound_at", "last_outbound_type", "last_outbound_by",
                 "last_inbound_at")


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
    deals: pd.DataFrame,
    now: datetime,
    engagement_days: int = 21,
    due_soon_days: int = 3,
) -> pd.DataFrame:
    """One row per contact: last touch (when, type, by whom), next due, status, days overdue,
    last inbound message, open deals and value, and a priority score (higher: touch first).

    contacts: id, email, account_id, created_at, last_touch_at (the latest touch of any kind, or
              one recorded by hand), last_outbound_at, last_outbound_type, last_outbound_by (our
              latest touch), last_inbound_at (their latest mail), and any other columns, which
              are kept
    deals:    contact_id, account_id, stage, amount

    Arithmetic on numpy arrays, one frame built at the end: the cycle computes this for every
    contact of every tenant each hour, and a pandas operation costs about 0.5 ms however few the
    rows.
    """
    ours, inbound = _instants(contacts["last_outbound_at"]), _instants(contacts["last_inbound_at"])
    noted = _instants(contacts["last_touch_at"])
    # last_touch_at moves with every touch, theirs too: it is a touch recorded by hand only where
    # it is later than both our last touch and their last message.
    recorded = ~np.isnat(noted) & ~(noted <= ours) & ~(noted <= inbound)
    last_at = np.where(recorded, noted, ours)
    created = _instants(contacts["created_at"])
    never = np.isnat(last_at)
    next_due = np.where(never, created, last_at) + np.timedelta64(engagement_days, "D")
    now_at = np.datetime64(_instants(pd.Series([now]))[0])
    day = np.timedelta64(1, "D")
    left = (next_due - now_at) / day
    emails = contacts["email"].tolist()
    reachable = np.fromiter((isinstance(e, str) and bool(e.strip()) for e in emails), bool,
                            len(emails))
    status = np.select(
        [~reachable, left < 0, left <= due_soon_days], [UNREACHABLE, OVERDUE, DUE_SOON], COMPLIANT
    )
    overdue = np.floor(np.clip(-np.nan_to_num(left, nan=0.0), 0, None)).astype(int)
    open_deals, account_value = _deal_weights(contacts, deals)
    recent = ~np.isnat(inbound) & (now_at - inbound <= np.timedelta64(RECENT_INBOUND_DAYS, "D"))
    priority = _priority(overdue, open_deals, account_value, recent, reachable)
    kept = contacts.drop(columns=[*TOUCH_COLUMNS, "created_at"])
    figures = {
        "created_at": _aware(created),
        "last_touch_at": _aware(last_at),
        "last_touch_type": np.where(recorded, "recorded", contacts["last_outbound_type"]),
        "last_touch_by": np.where(recorded, None, contacts["last_outbound_by"]),
        "last_inbound_at": _aware(inbound),
        "never_touched": never,
        "next_due_at": _aware(next_due),
        "days_overdue": overdue,
        "status": status,
        "open_deals": open_deals,
        "account_value": account_value,
        "recent_inbound": recent,
        "priority": priority,
    }
    for name, values in figures.items():
        kept[name] = values
    return kept


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


def _deal_weights(contacts: pd.DataFrame, deals: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per contact: its open deals, and the open value of its account."""
    per_contact: dict = {}
    per_account: dict = {}
    amounts = pd.to_numeric(deals["amount"], errors="coerce").fillna(0.0).tolist()
    rows = zip(deals["contact_id"].tolist(), deals["account_id"].tolist(), deals["stage"].tolist(),
               amounts, strict=True)
    for contact, account, stage, amount in rows:
        if stage in ("won", "lost"):
            continue
        if not pd.isna(contact):
            per_contact[contact] = per_contact.get(contact, 0) + 1
        if not pd.isna(account):
            per_account[account] = per_account.get(account, 0.0) + float(amount)
    ids, accounts = contacts["id"].tolist(), contacts["account_id"].tolist()
    counts = np.fromiter((per_contact.get(c, 0) for c in ids), int, len(ids))
    values = np.fromiter((0.0 if pd.isna(a) else per_account.get(a, 0.0) for a in accounts),
                         float, len(accounts))
    return counts, values


def _priority(overdue: np.ndarray, deals: np.ndarray, value: np.ndarray, recent: np.ndarray,
              reachable: np.ndarray) -> np.ndarray:
    """0-100: overdue days weigh most, then open deals, account value and a recent inbound
    message (someone waiting for us). Unreachable contacts score 0."""
    score = (50 * np.minimum(overdue, OVERDUE_CAP_DAYS) / OVERDUE_CAP_DAYS
             + 20 * np.minimum(deals, 3) / 3
             + 15 * np.minimum(np.log1p(np.maximum(value, 0)) / np.log1p(100_000), 1)
             + 15 * recent)
    return np.where(reachable, np.round(score, 2), 0.0)


def _instants(values: pd.Series) -> np.ndarray:
    """Naive UTC datetime64[us] (NaT where missing) from aware, naive (UTC) or missing values."""
    aware = pd.to_datetime(values, utc=True, errors="coerce")
    return aware.dt.tz_localize(None).to_numpy("datetime64[us]")


def _aware(values: np.ndarray) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(values).tz_localize(UTC)
