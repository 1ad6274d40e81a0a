"""Steward's business rules: pure Python, no Dagster, no SQL, no network."""
