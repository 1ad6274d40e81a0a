"""Mailbox sources: a tenant's `mailbox` URL opened as something that fetches new mail.

`open_source` picks the source by scheme: `maildir:///path` (a Maildir or a folder of .eml
files, the embedded default), `imaps://user@host:993/INBOX` (TLS), `imap://user@host:143/INBOX`
(STARTTLS required), `gmail://user@example.com` (the Gmail API). Every source fetches
incrementally from a JSON checkpoint, reports a ConnectionStatus, and raises MailboxError
subclasses whose `status` a person can act on. Nothing here connects until asked to.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from resources.mailbox.base import (
    ConnectionStatus,
    FetchResult,
    MailboxAuthError,
    MailboxError,
    MailboxQuotaError,
    MailboxRevokedError,
    MailboxUnreachableError,
    MailSource,
)
from resources.mailbox.credentials import Credentials
from resources.mailbox.gmail import GmailSource
from resources.mailbox.imap import ImapSource
from resources.mailbox.imap_connect import ImapConfig
from resources.mailbox.maildir import MaildirSource

__all__ = [
    "ConnectionStatus",
    "Credentials",
    "FetchResult",
    "GmailSource",
    "ImapSource",
    "MailSource",
    "MailboxAuthError",
    "MailboxError",
    "MailboxQuotaError",
    "MailboxRevokedError",
    "MailboxUnreachableError",
    "MaildirSource",
    "open_source",
]


def open_source(
    url: str, tenant_slug: str, credentials: Credentials, timeout: float = 30
) -> MailSource:
    """The source for `url`; `credentials` are used only by the sources that log in."""
    scheme = urlsplit(url).scheme
    if scheme == "maildir":
        return MaildirSource.from_url(url)
    if scheme in ("imap", "imaps"):
        return ImapSource(ImapConfig.from_url(url), tenant_slug, credentials, timeout)
    if scheme == "gmail":
        return GmailSource.from_url(url, tenant_slug, credentials, timeout)
    raise MailboxError(
        f"unsupported mailbox URL scheme {scheme + '://' if scheme else '(none)'}: use "
        "maildir://, imaps://, imap:// or gmail://"
    )
