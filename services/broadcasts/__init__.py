"""Broadcasts: campaigns (create, approve, start, pause, resume, cancel), their frozen audience,
the batches the cycle plans and the dispatcher sends, and what came back (agent/broadcast.py)."""
