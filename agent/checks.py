"""Targets the asset checks hold the system to, across every tenant of a run.

The engagement target is a tenant's own (`Thresholds.engagement_compliance_target`), since an
owner decides how many contacts must stay within their window; these are the operator's.
"""

from __future__ import annotations

from datetime import timedelta

ORDER_EXCEPTION_LIMIT = 0.10  # share of validated orders with an open exception
CYCLE_FAILURE_LIMIT = 0.20  # share of cycles that failed within the window
CYCLE_FAILURE_WINDOW = timedelta(hours=24)
