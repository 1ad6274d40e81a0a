"""Dagster assets, one module per area.

Tenant batching relies on `backfill_policy`, which Dagster 1.13 marks beta; its warning is
silenced here, before any asset module is decorated, so it does not flood every run's log.
"""

import warnings

import dagster as dg

warnings.filterwarnings("ignore", category=dg.BetaWarning)
