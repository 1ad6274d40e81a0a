"""Mail as facts: parsing, bounces, classification, signals, signatures, references.

Pure functions over bytes and dataclasses; the mailbox sources and the database live in resources/.
"""
