"""The resources Steward runs with, defined once.

Definitions registers these instances and the `steward` CLI uses the same ones, so a setting
made here (an SMTP server, an alert webhook, mailbox timeouts) reaches every job, schedule,
sensor and command alike. Each reads its secrets from the environment when it is used.
"""

from resources.alerts import Alerts
from resources.database import Database
from resources.mailbox.resource import Mailboxes
from resources.mailer import Mailer
from resources.providers import Providers
from services.clients import Clients

database = Database()
mailer = Mailer()
mailboxes = Mailboxes()
alerts = Alerts(mailer=mailer)
providers = Providers()

RESOURCES = {
    "database": database,
    "mailer": mailer,
    "mailboxes": mailboxes,
    "alerts": alerts,
    "providers": providers,
}


def clients() -> Clients:
    return Clients(mailer, alerts, mailboxes, providers)
