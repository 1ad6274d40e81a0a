"""Definitions, jobs, schedules, partitions and the `steward` CLI."""
