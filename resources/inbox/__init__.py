"""Ingested mail: analysing fetched batches, and storing messages, contacts, links, outcomes,
attachments and mailbox state."""
