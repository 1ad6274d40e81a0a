"""A stand-in for Gmail's API servers, the one part of the mailbox story that cannot run here.

It speaks the documented JSON shapes of users.getProfile, users.messages.list, users.messages.get
(format=raw) and users.history.list over real HTTP on 127.0.0.1, keeps messages and history in
memory, and can be told to misbehave the ways Google does: 401 for a bad token, 429/403 with a
rate-limit reason and Retry-After, 404 for an expired startHistoryId, 500 now and then.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.mailbox.loopback import LoopbackServer, send_json

API = "/gmail/v1/users/me"


@dataclass
class StoredMessage:
    id: str
    raw: bytes
    labels: list[str]
    history_id: int
    internal_date_ms: int


@dataclass
class Failure:
    status: int
    reason: str
    path_contains: str
    retry_after: str | None = None


def google_error(status: int, reason: str, message: str) -> dict[str, Any]:
    names = {
        401: "UNAUTHENTICATED",
        403: "PERMISSION_DENIED",
        404: "NOT_FOUND",
        429: "RESOURCE_EXHAUSTED",
        500: "INTERNAL",
    }
    return {
        "error": {
            "code": status,
            "message": message,
            "errors": [{"message": message, "domain": "global", "reason": reason}],
            "status": names.get(status, "UNKNOWN"),
        }
    }


@dataclass
class FakeGmail:
    email: str = "owner@example.com"
    token: str = "test-access-token"
    # Checks a Bearer token instead of comparing it with `token` (the fake OAuth server's).
    accepts: Callable[[str], bool] | None = None
    refused: int = 0  # requests answered 401
    messages: dict[str, StoredMessage] = field(default_factory=dict)
    history: list[tuple[int, str]] = field(default_factory=list)  # (history id, message id)
    history_id: int = 1000
    oldest_history_id: int = 0  # startHistoryId below this answers 404, as after a week
    failures: list[Failure] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _next_id: int = 0x18C0000000000000

    def add(self, raw: bytes, labels: tuple[str, ...] = ("INBOX",)) -> str:
        """Deliver a message: it gets the next id and history id, as Gmail would."""
        with self.lock:
            self._next_id += 0x1F3
            self.history_id += 7  # real history ids grow with gaps
            message_id = f"{self._next_id:016x}"
            received_ms = 1_700_000_000_000 + 60_000 * len(self.messages)
            self.messages[message_id] = StoredMessage(
                message_id, raw, list(labels), self.history_id, received_ms
            )
            self.history.append((self.history_id, message_id))
            return message_id

    def delete(self, message_id: str) -> None:
        with self.lock:
            del self.messages[message_id]

    def expire_history(self) -> None:
        """Forget the history so far, as Google does after about a week: any older
        startHistoryId now answers 404; the current one (from getProfile) still works."""
        with self.lock:
            self.oldest_history_id = self.history_id

    def fail(
        self,
        status: int,
        reason: str,
        times: int = 1,
        path_contains: str = "",
        retry_after: str | None = None,
    ) -> None:
        """The next `times` requests whose path contains `path_contains` fail with `status`."""
        with self.lock:
            self.failures.extend(
                Failure(status, reason, path_contains, retry_after) for _ in range(times)
            )

    def _take_failure(self, path: str) -> Failure | None:
        with self.lock:
            for failure in self.failures:
                if failure.path_contains in path:
                    self.failures.remove(failure)
                    return failure
        return None

    def handle(
        self, path: str, query: dict[str, list[str]], auth: str | None
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        self.requests.append(path.removeprefix(API))
        bearer = (auth or "").removeprefix("Bearer ")
        if not (self.accepts(bearer) if self.accepts else auth == f"Bearer {self.token}"):
            self.refused += 1
            return 401, google_error(401, "authError", "Invalid Credentials"), {}
        failure = self._take_failure(path)
        if failure:
            headers = {"Retry-After": failure.retry_after} if failure.retry_after else {}
            return failure.status, google_error(failure.status, failure.reason, "Failure"), headers
        with self.lock:
            if path == f"{API}/profile":
                return (
                    200,
                    {
                        "emailAddress": self.email,
                        "messagesTotal": len(self.messages),
                        "threadsTotal": len(self.messages),
                        "historyId": str(self.history_id),
                    },
                    {},
                )
            if path == f"{API}/messages":
                return 200, self._list(query), {}
            if path.startswith(f"{API}/messages/"):
                stored = self.messages.get(path.rsplit("/", 1)[1])
                if stored is None or query.get("format") != ["raw"]:
                    return 404, google_error(404, "notFound", "Requested entity was not found."), {}
                return (
                    200,
                    {
                        "id": stored.id,
                        "threadId": stored.id,
                        "labelIds": stored.labels,
                        "snippet": "",
                        "historyId": str(stored.history_id),
                        "internalDate": str(stored.internal_date_ms),
                        "sizeEstimate": len(stored.raw),
                        "raw": base64.urlsafe_b64encode(stored.raw).decode().rstrip("="),
                    },
                    {},
                )
            if path == f"{API}/history":
                return self._history(query)
        return 404, google_error(404, "notFound", "Not Found"), {}

    def _page(
        self, items: list[Any], query: dict[str, list[str]], default: int
    ) -> tuple[list[Any], str | None]:
        start = int(query.get("pageToken", ["0"])[0])
        size = min(int(query.get("maxResults", [default])[0]), 500)
        end = start + size
        return items[start:end], (str(end) if end < len(items) else None)

    def _list(self, query: dict[str, list[str]]) -> dict[str, Any]:
        wanted = set(query.get("labelIds", []))
        matching = [m for m in self.messages.values() if wanted <= set(m.labels)]
        matching.sort(key=lambda m: m.id, reverse=True)  # newest first, as Gmail lists
        page, token = self._page(matching, query, 100)
        reply: dict[str, Any] = {"resultSizeEstimate": len(matching)}
        if page:
            reply["messages"] = [{"id": m.id, "threadId": m.id} for m in page]
        if token:
            reply["nextPageToken"] = token
        return reply

    def _history(self, query: dict[str, list[str]]) -> tuple[int, dict[str, Any], dict[str, str]]:
        start = int(query["startHistoryId"][0])
        if start < self.oldest_history_id:
            return 404, google_error(404, "notFound", "Requested entity was not found."), {}
        records = [
            {
                "id": str(hid),
                "messages": [{"id": mid, "threadId": mid}],
                "messagesAdded": [
                    {"message": {"id": mid, "threadId": mid, "labelIds": self.messages[mid].labels}}
                ],
            }
            for hid, mid in self.history
            if hid > start and mid in self.messages
        ]
        page, token = self._page(records, query, 100)
        reply: dict[str, Any] = {"historyId": str(self.history_id)}
        if page:
            reply["history"] = page
        if token:
            reply["nextPageToken"] = token
        return 200, reply, {}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the client expects of Google
    disable_nagle_algorithm = True  # headers and body go out as two writes; don't wait 40 ms
    server: Any

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        parts = urlsplit(self.path)
        status, body, headers = self.server.fake.handle(
            parts.path, parse_qs(parts.query), self.headers.get("Authorization")
        )
        send_json(self, status, body, headers)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the fake's `requests` list is what tests look at."""


class FakeGmailServer(LoopbackServer):
    """The fake on a free loopback port, served from a thread until stopped."""

    def __init__(self, fake: FakeGmail):
        super().__init__(_Handler, fake)

    def start(self) -> FakeGmailServer:
        return super().start()
