"""What every mailbox source promises: incremental fetches, a health check, and errors by kind.

A source is opened per tenant, asked for what is new since a checkpoint it produced earlier, and
closed. The checkpoint is plain JSON owned by the caller (it lives next to the tenant's other
state), so a crash between fetch and store simply fetches the same mail again. Errors are sorted
into the few kinds a person can act on (fix the password, re-authorise, wait, check the network),
each carrying the `status` word the connection status uses.
"""

from __future__ import annotations

import base64
import socket
import ssl
import zlib
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal
from urllib.parse import parse_qs

from agent.mail.model import RawMail

Status = Literal["connected", "auth_failed", "revoked", "unreachable", "error"]


class MailboxError(RuntimeError):
    """A mailbox problem in one line, safe to show and store: it never holds a secret."""

    status: Status = "error"


class MailboxAuthError(MailboxError):
    """The server refused the credentials (or there are none): a person must fix them."""

    status: Status = "auth_failed"


class MailboxRevokedError(MailboxError):
    """The OAuth token is no longer accepted: the mailbox must be authorised again."""

    status: Status = "revoked"


class MailboxUnreachableError(MailboxError):
    """DNS, connect, timeout or TLS failure: the server could not be talked to at all."""

    status: Status = "unreachable"


class MailboxQuotaError(MailboxError):
    """The provider is rate limiting us; retrying later (not harder) is the fix."""

    status: Status = "error"


@dataclass(frozen=True)
class ConnectionStatus:
    """What a person sees about a mailbox: one status word and one line of detail."""

    status: Status
    detail: str

    @property
    def ok(self) -> bool:
        return self.status == "connected"


@dataclass
class FetchResult:
    """One fetch: the mail (oldest first) and the checkpoint that accounts for exactly that mail.

    `resynced` names folders whose stored position no longer applied (IMAP UIDVALIDITY changed,
    Gmail history expired, checkpoint from another mailbox) and were read again from the start;
    their mail may repeat what an earlier fetch returned, which message-level dedupe absorbs.
    `more` says the limit cut the batch short. `errors` lists items that could not be read this
    time (they stay unaccounted for in the checkpoint, so the next fetch tries them again).
    """

    messages: list[RawMail]
    checkpoint: dict[str, Any]
    folders: list[str]
    resynced: list[str] = field(default_factory=list)
    more: bool = False
    errors: list[str] = field(default_factory=list)


class MailSource(ABC):
    """A mailbox read incrementally; use as a context manager so connections are always closed."""

    #: Identifies the mailbox a checkpoint belongs to; a checkpoint for another one is ignored.
    identity: str

    @abstractmethod
    def fetch(self, checkpoint: dict[str, Any] | None, limit: int | None = None) -> FetchResult:
        """Mail not returned by the fetches that led to `checkpoint`, at most `limit` of it."""

    @abstractmethod
    def probe(self) -> str:
        """Connect and authenticate; return a one-line description or raise a MailboxError."""

    @abstractmethod
    def close(self) -> None:
        """Release connections; closing twice is harmless."""

    def find_sent(self, message_id: str) -> bool | None:
        """Whether a message with this Message-ID is in the mailbox's Sent folder; None when
        this kind of mailbox cannot tell. Used to settle a send whose outcome a crash hid."""
        return None

    def check(self) -> ConnectionStatus:
        """The connection status for a person: never raises, whatever went wrong."""
        try:
            return ConnectionStatus("connected", self.probe())
        except MailboxError as exc:
            return ConnectionStatus(exc.status, str(exc))
        except Exception as exc:  # a status report must survive bugs too; the type says which
            return ConnectionStatus("error", f"unexpected {type(exc).__name__}")

    def folder_states(self, checkpoint: dict[str, Any] | None) -> dict[str, Any] | None:
        """The per-folder part of `checkpoint`, or None when it belongs to another mailbox."""
        if not checkpoint:
            return {}
        if checkpoint.get("source") != self.identity:
            return None
        folders = checkpoint.get("folders")
        return dict(folders) if isinstance(folders, dict) else None

    def __enter__(self) -> MailSource:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def describe_network_error(exc: BaseException) -> str:
    """Socket and TLS failures in words a person can act on."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate not trusted ({exc.verify_message})"
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed ({exc.reason or type(exc).__name__})"
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, socket.gaierror):
        return "host name not found"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return str(exc) or type(exc).__name__


SENT_FOLDER_NAMES = ("Sent", "Sent Items", "Sent Messages", "Sent Mail", "[Gmail]/Sent Mail")


def check_limit(limit: int | None) -> int | None:
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")
    return limit


def pack_keys(keys: Iterable[str]) -> str:
    """Keys as compact text, in the order given: newline-joined, zlib-compressed, base64.

    Pass them sorted when order does not matter: zlib then exploits their shared prefixes.
    """
    joined = "\n".join(keys)
    if not joined:
        return ""
    return base64.b64encode(zlib.compress(joined.encode(), 9)).decode("ascii")


def unpack_keys(packed: str | None) -> list[str]:
    if not packed:
        return []
    try:
        return zlib.decompress(base64.b64decode(packed)).decode().split("\n")
    except (ValueError, zlib.error) as exc:
        raise MailboxError("the stored mailbox checkpoint is corrupt") from exc


def query_list(query: str, name: str) -> list[str]:
    """A comma-separated (or repeated) URL query parameter, in order, without duplicates."""
    values: list[str] = []
    for raw in parse_qs(query).get(name, []):
        values.extend(v.strip() for v in raw.split(",") if v.strip())
    return list(dict.fromkeys(values))


def query_flag(query: str, name: str) -> str | None:
    values = parse_qs(query).get(name)
    return values[-1].strip().lower() if values else None
