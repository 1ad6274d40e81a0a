"""Dagster sensors: the tenant registry, new orders and approved tasks."""
