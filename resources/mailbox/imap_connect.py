"""An IMAP mailbox URL read into settings (host, user, folders, how TLS is done), and the
logged-in connection made from them.

`imaps://` is TLS from the first byte (port 993); `imap://` means STARTTLS before login (port
143), and only `?tls=none` allows plaintext. `?verify=false` and `?cafile=/path` are for servers
with self-signed certificates; `?folders=INBOX,Sent` adds folders to the one in the path.
"""

from __future__ import annotations

import logging
import ssl
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qs, unquote, urlsplit

from imapclient import IMAPClient
from imapclient.imapclient import SocketTimeout

from resources.mailbox.base import MailboxError, query_flag, query_list
from resources.mailbox.credentials import Credentials

TlsMode = Literal["implicit", "starttls", "none"]


@dataclass(frozen=True)
class ImapConfig:
    host: str
    port: int
    user: str
    folders: list[str]
    tls: TlsMode
    verify: bool = True
    cafile: str | None = None

    @classmethod
    def from_url(cls, url: str) -> ImapConfig:
        parts = urlsplit(url)
        if parts.scheme not in ("imap", "imaps"):
            raise MailboxError(f"not an IMAP URL: {parts.scheme}://")
        if parts.password:
            raise MailboxError("mailbox URL must not contain a password; use the environment")
        if not parts.hostname or not parts.username:
            raise MailboxError("IMAP URL needs a user and a host, e.g. imaps://me@host/INBOX")
        try:
            port = parts.port or (993 if parts.scheme == "imaps" else 143)
        except ValueError:
            raise MailboxError("IMAP URL has an invalid port") from None
        path = unquote(parts.path.lstrip("/"))
        folders = list(dict.fromkeys(([path] if path else []) + query_list(parts.query, "folders")))
        tls: TlsMode = "implicit" if parts.scheme == "imaps" else "starttls"
        requested = query_flag(parts.query, "tls")
        if requested == "none" and parts.scheme == "imap":
            tls = "none"
        elif requested is not None:
            raise MailboxError("?tls= accepts only 'none', and only with imap://")
        cafile = parse_qs(parts.query).get("cafile")
        return cls(
            host=parts.hostname,
            port=port,
            user=unquote(parts.username),
            folders=folders or ["INBOX"],
            tls=tls,
            verify=query_flag(parts.query, "verify") not in ("false", "0", "no"),
            cafile=cafile[-1] if cafile else None,
        )

    def ssl_context(self) -> ssl.SSLContext:
        """Verifying by default; `cafile` trusts a private CA, `verify=false` trusts anyone."""
        try:
            context = ssl.create_default_context(cafile=self.cafile)
        except OSError as exc:
            problem = exc.strerror or type(exc).__name__
            raise MailboxError(f"cannot read CA file {self.cafile}: {problem}") from None
        if not self.verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


def server_text(exc: BaseException) -> str:
    """An IMAP error's server reply without the b'...' that imaplib leaves around it."""
    text = str(exc)
    return text[2:-1] if text[:2] in ("b'", 'b"') else text


def quiet_trace(client: IMAPClient) -> None:
    """Stop imaplib formatting a trace line nobody reads. IMAPClient sets imaplib's debug level
    to 5 to route its trace to the "imapclient.imaplib" logger, and at that level imaplib writes
    out every message it reads (`%r` of the whole body) before the logger drops the line: that
    was more than half the time spent fetching mail. Left on when that logger wants DEBUG."""
    if not logging.getLogger("imapclient.imaplib").isEnabledFor(logging.DEBUG):
        client._imap.debug = 0


def connect(config: ImapConfig, creds: Credentials, timeout: float) -> IMAPClient:
    """A logged-in client; STARTTLS happens before any credential is sent, or nothing does.

    Errors are left as IMAPClient/imaplib/socket raise them, for the caller to translate.
    """
    context = config.ssl_context() if config.tls != "none" else None
    client = IMAPClient(
        config.host,
        port=config.port,
        ssl=config.tls == "implicit",
        ssl_context=context,
        timeout=SocketTimeout(connect=timeout, read=timeout),
    )
    quiet_trace(client)
    try:
        if config.tls == "starttls":
            if b"STARTTLS" not in client.capabilities():
                raise MailboxError(
                    f"{config.where} does not offer STARTTLS; refusing to log in over "
                    "plaintext (use imaps://, or ?tls=none on a trusted network)"
                )
            client.starttls(context)
        if creds.uses_oauth:
            client.oauth2_login(config.user, creds.bearer())
        else:
            client.login(config.user, creds.password)
    except BaseException:
        client.shutdown()
        raise
    return client
