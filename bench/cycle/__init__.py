"""Hourly cycle benchmark: every tenant's plan → act → react → reflect, launched as the schedule
launches it, on PostgreSQL. Run it as `python -m bench.cycle`; see __main__.py."""
