"""Storing ingested mail: messages, contacts, links, outcomes, attachments and mailbox state."""
