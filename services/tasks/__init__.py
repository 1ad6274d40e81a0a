"""The task executor: picking and running tasks (executor.py), what becomes of them after an
attempt (settle.py), and the handlers by kind (handlers.py, content, briefs, research, run)."""
