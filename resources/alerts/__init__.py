"""The alerts client: delivered to log, email and webhook (channels), throttled and sent by the
`Alerts` resource (service). Alerts are stored by resources/store/alerts.py; the built-in rules
that raise them are services/alerts.py, their thresholds agent/alerts.py."""

from resources.alerts.service import Alerts

__all__ = ["Alerts"]
