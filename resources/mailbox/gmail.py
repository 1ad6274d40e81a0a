"""A Gmail mailbox through the Gmail API, synced by history id instead of re-listing everything.

`gmail://user@example.com?labels=INBOX,SENT&q=newer_than:1y`: the labels to read (default INBOX
and SENT) and an optional search that narrows the first sync only.

The first sync takes the mailbox's current historyId (users.getProfile) *before* listing the
labels (users.messages.list), so mail arriving during the listing is caught by the next history
read rather than lost (such a message can come back twice; message dedupe absorbs that). Later
fetches read users.history.list from the stored historyId, keeping messageAdded records whose
labels are wanted. Ids waiting to be returned (the listing or history
beyond `limit`) ride in the checkpoint, oldest first, so a limit never forces a re-listing. When
Google answers 404 for the stored historyId (it keeps history for about a week), the labels are
listed again from scratch and reported in `resynced`. Each message is read whole with
messages.get?format=raw.
"""

from __future__ import annotations

import base64
import binascii
import heapq
import os
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from agent.mail.model import RawMail
from resources.mailbox.base import (
    FetchResult,
    MailboxAuthError,
    MailboxError,
    MailSource,
    check_limit,
    pack_keys,
    query_list,
    unpack_keys,
)
from resources.mailbox.credentials import TOKEN_VAR, Credentials, env_suffix
from resources.mailbox.gmail_http import (
    API_BASE_VAR,
    DEFAULT_API_BASE,
    GmailHttp,
    GmailNotFoundError,
)

DEFAULT_LABELS = ("INBOX", "SENT")
PAGE_SIZE = 500  # the API's maximum for messages.list and history.list
API = "/gmail/v1/users/me"


def folder_for(label_ids: list[str], wanted: list[str]) -> str:
    """The folder name a message is filed under; "INBOX" and "Sent" read as they do over IMAP."""
    if "SENT" in label_ids:
        return "Sent"
    if "INBOX" in label_ids:
        return "INBOX"
    return next((label for label in wanted if label in label_ids), "INBOX")


def _id_order(message_id: str) -> int:
    """Gmail ids are hex and grow with time; used only to interleave already-ordered lists."""
    try:
        return int(message_id, 16)
    except ValueError:
        return 0


class GmailSource(MailSource):
    def __init__(
        self,
        user: str,
        tenant_slug: str,
        credentials: Credentials,
        timeout: float = 30,
        labels: list[str] | None = None,
        query: str | None = None,
        api_base: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
        max_wait: float = 10.0,
    ):
        self.user = user
        self.tenant_slug = tenant_slug
        self.credentials = credentials
        self.labels = labels or list(DEFAULT_LABELS)
        self.query = query
        self.identity = f"gmail:{user.lower()}"
        self.api_base = api_base or os.environ.get(API_BASE_VAR) or DEFAULT_API_BASE
        self.timeout = timeout
        self.sleep = sleep
        self.max_wait = max_wait
        self._client: GmailHttp | None = None

    @property
    def http(self) -> GmailHttp:
        """The API client, made on first use so that missing credentials show in check()."""
        if self._client is None:
            if not self.credentials.uses_oauth:
                suffix = env_suffix(self.tenant_slug)
                raise MailboxAuthError(
                    f"no OAuth token for tenant {self.tenant_slug}'s Gmail mailbox: set "
                    f"{TOKEN_VAR}{suffix} or add oauth_token to the secrets file"
                )
            self._client = GmailHttp(
                self.api_base, self.credentials.bearer, self.timeout, sleep=self.sleep,
                max_wait=self.max_wait
            )
        return self._client

    @classmethod
    def from_url(
        cls, url: str, tenant_slug: str, credentials: Credentials, timeout: float = 30
    ) -> GmailSource:
        parts = urlsplit(url)
        user = unquote(parts.netloc)
        if "@" not in user:
            raise MailboxError("Gmail URL needs the address, e.g. gmail://me@example.com")
        query = parse_qs(parts.query).get("q")
        return cls(
            user,
            tenant_slug,
            credentials,
            timeout=timeout,
            labels=query_list(parts.query, "labels"),
            query=query[-1] if query else None,
        )

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.close()

    def _profile(self) -> dict[str, Any]:
        profile = self.http.get(f"{API}/profile")
        address = str(profile.get("emailAddress", ""))
        if address.lower() != self.user.lower():
            # The token opens another account: reading it would file someone else's mail here.
            raise MailboxAuthError(f"the OAuth token is for {address}, not {self.user}")
        return profile

    def _full_listing(self) -> tuple[str, list[str]]:
        """(historyId to continue from, every wanted message id oldest first)."""
        history_id = str(self._profile()["historyId"])
        per_label: list[list[str]] = []
        for label in self.labels:
            ids: list[str] = []
            page: str | None = None
            while True:
                reply = self.http.get(
                    f"{API}/messages",
                    [
                        ("labelIds", label),
                        ("maxResults", PAGE_SIZE),
                        ("q", self.query),
                        ("pageToken", page),
                    ],
                )
                ids.extend(m["id"] for m in reply.get("messages") or [])
                page = reply.get("nextPageToken")
                if not page:
                    break
            per_label.append(ids[::-1])  # the API lists newest first
        merged = heapq.merge(*per_label, key=_id_order)
        return history_id, list(dict.fromkeys(merged))

    def _history(self, start: str) -> tuple[str, list[str]]:
        """(new historyId, ids of wanted messages added since `start`, in history order)."""
        added: list[str] = []
        history_id, page = start, None
        while True:
            reply = self.http.get(
                f"{API}/history",
                [
                    ("startHistoryId", start),
                    ("historyTypes", "messageAdded"),
                    ("maxResults", PAGE_SIZE),
                    ("pageToken", page),
                ],
            )
            for record in reply.get("history") or []:
                for item in record.get("messagesAdded") or []:
                    message = item.get("message") or {}
                    labels = message.get("labelIds")
                    if labels is None or set(labels) & set(self.labels):
                        added.append(message["id"])
            history_id = str(reply.get("historyId") or history_id)
            page = reply.get("nextPageToken")
            if not page:
                return history_id, list(dict.fromkeys(added))

    def _state(self, checkpoint: dict[str, Any] | None) -> tuple[str, list[str]] | None:
        if not checkpoint or checkpoint.get("source") != self.identity:
            return None
        if not set(self.labels) <= set(checkpoint.get("labels") or []):
            return None  # a newly wanted label has never been listed
        history_id = checkpoint.get("history_id")
        return (str(history_id), unpack_keys(checkpoint.get("pending"))) if history_id else None

    def fetch(self, checkpoint: dict[str, Any] | None, limit: int | None = None) -> FetchResult:
        check_limit(limit)
        state = self._state(checkpoint)
        resynced = list(self.labels) if checkpoint and state is None else []
        if state is None:
            history_id, pending = self._full_listing()
        else:
            history_id, pending = state
            if limit is None or len(pending) < limit:
                try:
                    history_id, added = self._history(history_id)
                except GmailNotFoundError:
                    resynced = list(self.labels)
                    history_id, pending = self._full_listing()
                else:
                    queued = set(pending)
                    pending += [i for i in added if i not in queued]
        chosen, rest = (pending, []) if limit is None else (pending[:limit], pending[limit:])
        messages, errors, unread = [], [], []
        for message_id in chosen:
            try:
                reply = self.http.get(f"{API}/messages/{message_id}", [("format", "raw")])
            except GmailNotFoundError:
                continue  # deleted since it was listed: nothing left to read
            try:
                data = base64.urlsafe_b64decode(reply["raw"] + "=" * (-len(reply["raw"]) % 4))
            except (KeyError, TypeError, binascii.Error):
                errors.append(f"{message_id}: reply has no readable raw message")
                unread.append(message_id)
                continue
            folder = folder_for(reply.get("labelIds") or [], self.labels)
            messages.append(RawMail(source_key=message_id, folder=folder, data=data))
        rest = unread + rest  # tried again first next time, never silently dropped
        return FetchResult(
            messages=messages,
            checkpoint={
                "source": self.identity,
                "labels": list(self.labels),
                "history_id": history_id,
                "pending": pack_keys(rest),
            },
            folders=list(self.labels),
            resynced=resynced,
            more=bool(rest),
            errors=errors,
        )

    def probe(self) -> str:
        profile = self._profile()
        return (
            f"{profile.get('emailAddress')} via the Gmail API: "
            f"{profile.get('messagesTotal', '?')} messages, labels {', '.join(self.labels)}"
        )
