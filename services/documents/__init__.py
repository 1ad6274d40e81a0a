"""The documents library's workflows: find files (uploads folder, mail attachments, order
documents), extract them in worker processes, index the text, and search it."""
