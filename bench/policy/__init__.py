"""Policy engine benchmark: Steward's in-memory `evaluate` against a query-per-action baseline.

One benchmark split by concern so each part stays readable: `world` (the tenant profiles and what
a seeded tenant looks like), `seed` (filling the scratch database), `proposals` (the proposed
actions), `steward` and `naive` (the two ways of deciding them) and `__main__` (the command line,
the timed rounds and the report). Run from the repository root as `python -m bench.policy`.
"""
