"""The resources Steward runs with, defined once.

Definitions registers these instances and the `steward` CLI uses the same ones, so a setting
made here (an SMTP server, an alert webhook, mailbox timeouts) reaches every job, schedule,
sensor and command alike. Each reads its secrets from the environment when it is used.
"""

from resources.alerts import Alerts
from resources.clients import Clients
from resources.database import Database
from resources.mailbox.resource import Mailboxes
from resources.mailer import Mailer
from resources.providers import Providers

database = Database()
mailer = Mailer()
mailboxes = Mailboxes()
alerts = Alerts(mailer=mailer)
providers = Providers()
clients = Clients(mailer=mailer, alerts=alerts, mailboxes=mailboxes, providers=providers)

RESOURCES = {
    "database": database,
    "mailer": mailer,
    "mailboxes": mailboxes,
    "alerts": alerts,
    "providers": providers,
    "clients": clients,
}

