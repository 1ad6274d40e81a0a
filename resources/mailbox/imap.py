"""Any IMAP server, read incrementally by UID, over TLS only unless the URL explicitly says not.

`imaps://user@host:993/INBOX` is TLS from the first byte; `imap://user@host:143/INBOX` must
upgrade with STARTTLS before the password is sent, and a server that does not offer it is refused
(`?tls=none` is the explicit opt-out, for a trusted loopback). `?verify=false` or
`?cafile=/path/ca.pem` deal with self-signed servers. `?folders=INBOX,Sent` adds folders to the
one in the path. Login uses the password, or XOAUTH2 when the tenant has an OAuth token.

Per folder the checkpoint keeps (UIDVALIDITY, last UID returned). UIDs only grow within one
UIDVALIDITY, so "new" is `UID > last`; when the server reports another UIDVALIDITY (the folder was
recreated or renumbered) the old UIDs mean nothing and the folder is read again from the start.
Messages are read with BODY.PEEK[] on a read-only EXAMINE, so nothing is marked \\Seen.
"""

from __future__ import annotations

import heapq
import imaplib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import LoginError

from agent.mail.model import RawMail
from resources.mailbox.base import (
    SENT_FOLDER_NAMES,
    FetchResult,
    MailboxAuthError,
    MailboxError,
    MailboxRevokedError,
    MailboxUnreachableError,
    MailSource,
    check_limit,
    describe_network_error,
)
from resources.mailbox.credentials import PASSWORD_VAR, TOKEN_VAR, Credentials, env_suffix
from resources.mailbox.imap_connect import ImapConfig, connect, server_text

FETCH_BATCH = 200  # UIDs per FETCH of whole messages: keeps each response a sensible size
DATE_BATCH = 2000  # UIDs per FETCH of dates: keeps the command under servers' line limits


@dataclass(frozen=True)
class _NewMail:
    date: datetime
    folder_index: int
    uid: int


def _uidvalidity(info: dict, folder: str) -> int:
    """SELECT must report UIDVALIDITY (RFC 3501); without it no UID can be trusted."""
    if b"UIDVALIDITY" not in info:
        raise MailboxError(f"the server reported no UIDVALIDITY for {folder!r}")
    return int(info[b"UIDVALIDITY"])


class ImapSource(MailSource):
    def __init__(
        self, config: ImapConfig, tenant_slug: str, credentials: Credentials, timeout: float = 30
    ):
        self.config = config
        self.tenant_slug = tenant_slug
        self.credentials = credentials
        self.timeout = timeout
        self.identity = f"imap:{config.user}@{config.host}"
        self._client: IMAPClient | None = None

    @property
    def where(self) -> str:
        return self.config.where

    @contextmanager
    def _translated(self, action: str) -> Iterator[None]:
        """IMAPClient, imaplib, socket and ssl errors as MailboxErrors without secrets."""
        try:
            yield
        except MailboxError:
            raise
        except LoginError as exc:
            reply = self.credentials.scrub(server_text(exc))
            if "[UNAVAILABLE]" in reply.upper():  # RFC 5530: the server's problem, not ours
                raise MailboxError(f"{self.where} cannot log anyone in now: {reply}") from None
            if self.credentials.uses_oauth:
                raise MailboxRevokedError(
                    f"{self.where} rejected the OAuth token for {self.config.user}: {reply}"
                ) from None
            raise MailboxAuthError(
                f"{self.where} rejected the password for {self.config.user}: {reply}"
            ) from None
        except (imaplib.IMAP4.abort, OSError) as exc:
            self._drop()
            problem = describe_network_error(exc)
            raise MailboxUnreachableError(f"{self.where}: {action}: {problem}") from None
        except imaplib.IMAP4.error as exc:
            reply = self.credentials.scrub(server_text(exc))
            raise MailboxError(f"{self.where}: {action} failed: {reply}") from None

    def _connected(self) -> IMAPClient:
        if self._client is not None:
            return self._client
        creds = self.credentials
        if not (creds.uses_oauth or creds.password):
            suffix = env_suffix(self.tenant_slug)
            raise MailboxAuthError(
                f"no mailbox password or OAuth token for tenant {self.tenant_slug}: set "
                f"{PASSWORD_VAR}{suffix} or {TOKEN_VAR}{suffix}, or add it to the secrets file"
            )
        with self._translated("connect"):
            client = connect(self.config, creds, self.timeout)
        self._client = client
        return client

    def _drop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            try:
                client.shutdown()
            except OSError:
                pass  # already broken: that is why it is being dropped

    def close(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        try:
            client.logout()
        except (imaplib.IMAP4.error, OSError):
            try:
                client.shutdown()
            except OSError:
                pass  # closing is best effort; the server times the session out anyway

    def _new_mail(
        self, client: IMAPClient, index: int, info: dict, last: int, dated: bool
    ) -> list[_NewMail]:
        """UIDs above `last` in UID order, with arrival dates when `dated` (needed only to
        interleave several folders). `UID n:*` always matches the highest UID even when it is
        below n, hence the filter."""
        uidnext = info.get(b"UIDNEXT")
        if not info.get(b"EXISTS") or (uidnext is not None and uidnext <= last + 1):
            return []
        uids = sorted(uid for uid in client.search(["UID", f"{last + 1}:*"]) if uid > last)
        dates: dict[int, datetime] = {}
        for start in range(0, len(uids) if dated else 0, DATE_BATCH):
            found = client.fetch(uids[start : start + DATE_BATCH], ["INTERNALDATE"])
            dates.update((uid, data[b"INTERNALDATE"]) for uid, data in found.items())
        return [_NewMail(dates.get(uid, datetime.min), index, uid) for uid in uids]

    def fetch(self, checkpoint: dict[str, Any] | None, limit: int | None = None) -> FetchResult:
        check_limit(limit)
        folders = self.config.folders
        states = self.folder_states(checkpoint)
        resynced = list(folders) if states is None else []
        states = states or {}
        client = self._connected()
        new_states: dict[str, dict[str, int]] = {}
        per_folder: list[list[_NewMail]] = []
        errors: list[str] = []
        with self._translated("fetch"):
            for index, folder in enumerate(folders):
                state = states.get(folder) or {}
                try:
                    info = client.select_folder(folder, readonly=True)
                except imaplib.IMAP4.abort:
                    raise
                except imaplib.IMAP4.error as exc:
                    errors.append(f"{folder}: {server_text(exc)}")
                    if state:
                        new_states[folder] = state
                    per_folder.append([])
                    continue
                validity = _uidvalidity(info, folder)
                last = int(state.get("last_uid", 0))
                if state and state.get("uidvalidity") != validity:
                    last = 0
                    if folder not in resynced:
                        resynced.append(folder)
                new_states[folder] = {"uidvalidity": validity, "last_uid": last}
                per_folder.append(self._new_mail(client, index, info, last, len(folders) > 1))
            # Each folder's list stays in UID order, so whatever the limit cuts, every folder
            # returns a UID prefix and "last UID returned" stays exact.
            merged = list(heapq.merge(*per_folder, key=lambda m: m.date))
            chosen = merged if limit is None else merged[:limit]
            bodies = self._bodies(client, chosen, new_states, errors)
        picked = [(m.folder_index, m.uid) for m in chosen]
        messages = [bodies[key] for key in picked if key in bodies]
        return FetchResult(
            messages=messages,
            checkpoint={"source": self.identity, "folders": new_states},
            folders=list(folders),
            resynced=resynced,
            more=len(merged) > len(chosen),
            errors=errors,
        )

    def _bodies(
        self,
        client: IMAPClient,
        chosen: list[_NewMail],
        states: dict[str, dict[str, int]],
        errors: list[str],
    ) -> dict[tuple[int, int], RawMail]:
        """Full messages for `chosen`, advancing each folder's last UID as they arrive."""
        bodies: dict[tuple[int, int], RawMail] = {}
        for index, folder in enumerate(self.config.folders):
            uids = [m.uid for m in chosen if m.folder_index == index]
            if not uids:
                continue
            info = client.select_folder(folder, readonly=True)
            if _uidvalidity(info, folder) != states[folder]["uidvalidity"]:
                errors.append(f"{folder}: UIDVALIDITY changed during the fetch; read next time")
                continue
            source_prefix = f"{states[folder]['uidvalidity']}:"
            for start in range(0, len(uids), FETCH_BATCH):
                batch = uids[start : start + FETCH_BATCH]
                found = client.fetch(batch, ["BODY.PEEK[]"])
                for uid in batch:
                    data = (found.get(uid) or {}).get(b"BODY[]")
                    if data is not None:  # absent: expunged meanwhile, nothing left to read
                        bodies[(index, uid)] = RawMail(source_prefix + str(uid), folder, data)
                states[folder]["last_uid"] = batch[-1]
        return bodies

    def find_sent(self, message_id: str) -> bool | None:
        """Ask the server: SEARCH HEADER Message-ID in the folder flagged \\Sent (RFC 6154),
        or one with a usual Sent name."""
        client = self._connected()
        with self._translated("search the Sent folder"):
            folders = client.list_folders()
            flagged = [name for flags, _, name in folders if b"\\Sent" in flags]
            names = {name for _, _, name in folders}
            candidates = flagged or [n for n in SENT_FOLDER_NAMES if n in names]
            if not candidates:
                return None
            for folder in candidates:
                client.select_folder(folder, readonly=True)
                if client.search(["HEADER", "Message-ID", message_id.strip()]):
                    return True
        return False

    def probe(self) -> str:
        client = self._connected()
        counts = []
        with self._translated("status"):
            for folder in self.config.folders:
                try:
                    status = client.folder_status(folder, [b"MESSAGES"])
                except imaplib.IMAP4.abort:
                    raise
                except imaplib.IMAP4.error as exc:
                    reply = server_text(exc)
                    raise MailboxError(f"{self.where}: folder {folder!r}: {reply}") from None
                counts.append(f"{folder} {status[b'MESSAGES']}")
        security = {"implicit": "TLS", "starttls": "STARTTLS", "none": "no TLS"}[self.config.tls]
        login = "XOAUTH2" if self.credentials.uses_oauth else "password"
        return (
            f"{self.config.user}@{self.where} ({security}, {login}): {', '.join(counts)} messages"
        )
