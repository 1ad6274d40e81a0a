"""The hourly cycle's phases for one tenant: plan, act, react (phases.py), reflect (reflect.py),
with what plan gathers (gather.py) and the figures behind the cycle's checks (checks.py)."""
