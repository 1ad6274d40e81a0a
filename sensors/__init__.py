"""Dagster sensors: tenant registry now; new orders, new mail, approvals and alerts later."""
