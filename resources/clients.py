"""The `Clients` resource: the outside systems a delivering workflow talks to, as one resource.

Dispatch sends mail (mailer), hands other deliveries to their providers (providers), tells
people (alerts) and looks in a tenant's Sent folder when a delivery is unknown (mailboxes). It is
registered in Definitions with the same instances as the resources it nests, so a job, asset or
command that delivers takes this one resource and the configuration reaches every call.
"""

from __future__ import annotations

import dagster as dg

from resources.alerts import Alerts
from resources.mailbox.resource import Mailboxes
from resources.mailer import Mailer
from resources.providers import Providers


class Clients(dg.ConfigurableResource):
    mailer: Mailer
    alerts: Alerts
    mailboxes: Mailboxes
    providers: Providers
