"""The outside systems a delivering workflow talks to, as they are registered in Definitions.

Dispatch sends mail (mailer), hands other deliveries to their providers (providers), tells
people (alerts) and looks in a tenant's Sent folder when a delivery is unknown (mailboxes). The
cycle and the jobs build this once from their injected resources and hand it down, so the
configuration set in Definitions reaches every one of those calls.
"""

from __future__ import annotations

from dataclasses import dataclass

from resources.alerts import Alerts
from resources.mailbox.resource import Mailboxes
from resources.mailer import Mailer
from resources.providers import Providers


@dataclass(frozen=True)
class Clients:
    mailer: Mailer
    alerts: Alerts
    mailboxes: Mailboxes
    providers: Providers
