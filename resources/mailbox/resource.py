"""The mailbox resource: opens a tenant's mailbox source with its credentials.

Credentials never pass through the database or the run config: they are read from the
environment or the secrets file when the source is opened (resources/mailbox/credentials.py).
"""

import dagster as dg

from resources.mailbox import MailSource, open_source
from resources.mailbox.base import MailboxError
from resources.mailbox.credentials import Credentials


class Mailboxes(dg.ConfigurableResource):
    timeout_s: float = 30.0
    batch_size: int = 500
    # Processes that parse and analyse a large batch: 0 means one per core, 1 means none (all in
    # the run's own process). Small batches never start any.
    analysis_workers: int = 0

    def credentials(self, tenant_slug: str) -> Credentials:
        return Credentials.for_tenant(tenant_slug)

    def open(self, tenant_slug: str, url: str, credentials: Credentials | None = None
             ) -> MailSource:
        creds = credentials or self.credentials(tenant_slug)
        return open_source(url, tenant_slug, creds, self.timeout_s)

    def find_sent(self, tenant_slug: str, url: str | None, message_id: str) -> bool | None:
        """Whether the tenant's Sent folder holds `message_id`; None when there is no mailbox or
        it cannot be searched (a person must then decide)."""
        if not url:
            return None
        try:
            with self.open(tenant_slug, url) as source:
                return source.find_sent(message_id)
        except MailboxError:
            return None
