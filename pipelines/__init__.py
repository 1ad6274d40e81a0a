"""Definitions, the resources they register, jobs, schedules, run launching, the `steward`
CLI and the demo generator: wiring only; the workflows they start live in services/."""
