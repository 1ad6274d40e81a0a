"""Task rules, pure: the status machine (`machine`), who approves what and when a decision may
still be made (`approvals`), how a new task gets done (`approach`: immediate, decompose or
blocked) and what becomes of a task after work (`outcomes`: retries, escalation, roll-up)."""
