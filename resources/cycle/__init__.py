"""The hourly cycle's database side: the per-tenant lock, the cycle record, and the four phases
(plan, act, react, reflect) that the Dagster assets in assets/cycle.py run for each tenant."""
