"""Steward's workflows: what happens, in which order. Each combines the rules of agent/ with the
clients and stores of resources/: the gate, approvals, dispatch and deliverables, order
validation, ingest, the cycle's phases, the task executor, strategies, alert rules, overview."""
