"""Insights over the warehouse: daily anomalies, weekly client patterns and recommendations,
and the owner's weekly report."""
