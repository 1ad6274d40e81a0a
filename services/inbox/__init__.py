"""Mail ingest: a tenant's mailbox synced (ingest.py), its messages parsed and analysed on every
core (analysis.py), stored once as a batch (batch.py) and turned into outcomes (outcomes.py)."""
