"""Table stores: one module per table family, the only code that writes those tables.

Each takes a tenant scope (or the database for a short transaction of its own), reads and
writes with idempotent statements keyed by natural keys, and decides nothing: which rows to
write is the caller's business (services/), by the rules of agent/. `schema.py` defines the
tables for all of them and for the migrations.
"""
