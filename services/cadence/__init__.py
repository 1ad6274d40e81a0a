"""Cadence engines: deals, quotes and feedback moved forward every hour (agent/cadence.py)."""
