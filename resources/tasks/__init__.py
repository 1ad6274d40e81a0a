"""Task execution: the task store (status moves with their log), handlers by kind, the executor."""
