"""A small JSON-over-HTTPS client for the Gmail API: one kept-alive connection, bounded retries.

Only the standard library is used (no Google client libraries): the API surface needed is four
GET endpoints, and tests point the base URL at a local fake. Google's errors come back as
`{"error": {"code", "message", "status", "errors": [{"reason", ...}]}}`; they are sorted here:
401 means the token no longer works (revoked or expired), 429 and 403 with a rate-limit reason
mean slow down (retried a few times, honouring a capped Retry-After), other 403s mean the token
lacks access, 5xx and dropped connections are retried and then reported.
"""

from __future__ import annotations

import http.client
import json
import ssl
import time
from collections.abc import Callable, Sequence
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from resources.mailbox.base import (
    MailboxAuthError,
    MailboxError,
    MailboxQuotaError,
    MailboxRevokedError,
    MailboxUnreachableError,
    describe_network_error,
)

DEFAULT_API_BASE = "https://gmail.googleapis.com"
API_BASE_VAR = "STEWARD_GMAIL_API_BASE"
RATE_LIMIT_REASONS = frozenset(
    {"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded", "dailyLimitExceeded"}
)


class GmailNotFoundError(MailboxError):
    """404: an expired startHistoryId, or a message deleted since it was listed."""


def _error_details(body: bytes) -> tuple[str, str]:
    """(reason, message) from a Google error body; empty strings when it is not one."""
    try:
        error = json.loads(body).get("error") or {}
    except (ValueError, AttributeError):
        return "", ""
    if not isinstance(error, dict):
        return "", ""
    reasons = [e.get("reason", "") for e in error.get("errors") or [] if isinstance(e, dict)]
    reason = next((r for r in reasons if r), "") or str(error.get("status") or "")
    return reason, str(error.get("message") or "")[:200]


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds: either a number or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


class GmailHttp:
    def __init__(
        self,
        base_url: str,
        token: Callable[[bool], str | None],
        timeout: float = 30,
        attempts: int = 3,
        backoff: float = 0.5,
        max_wait: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
    ):
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise MailboxError("the Gmail API base must be an http(s) URL")
        self.https = parts.scheme == "https"
        self.host = parts.hostname
        self.port = parts.port
        self.prefix = parts.path.rstrip("/")
        # The access token for a request; called with True after a 401, to renew it once.
        self._token_for = token
        self._token = ""
        self.timeout = timeout
        self.attempts = attempts
        self.backoff = backoff
        self.max_wait = max_wait
        self.sleep = sleep
        self._conn: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            if self.https:
                self._conn = http.client.HTTPSConnection(
                    self.host,
                    self.port,
                    timeout=self.timeout,
                    context=ssl.create_default_context(),
                )
            else:
                self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return self._conn

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    def _send(self, target: str) -> tuple[int, http.client.HTTPMessage, bytes]:
        conn = self._connection()
        headers = {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}
        try:
            conn.request("GET", target, headers=headers)
            response = conn.getresponse()
            return response.status, response.headers, response.read()
        except BaseException:
            self.close()  # a half-read response would poison the kept-alive connection
            raise

    def get(self, path: str, params: Sequence[tuple[str, Any]] = ()) -> dict[str, Any]:
        """GET `path` with `params`, as JSON; retries what may pass, raises MailboxErrors."""
        query = urlencode([(k, v) for k, v in params if v is not None and v != ""])
        target = self.prefix + path + (f"?{query}" if query else "")
        failure: MailboxError = MailboxError("Gmail API: no attempt made")
        self._token = self._token_for(False) or ""  # renewed here before it expires
        renewed = False
        for attempt in range(self.attempts):
            wait = self.backoff * 2**attempt
            try:
                status, headers, body = self._send(target)
            except (OSError, http.client.HTTPException) as exc:
                failure = MailboxUnreachableError(
                    f"Gmail API {self.host}: {describe_network_error(exc)}"
                )
            else:
                if status == 200:
                    try:
                        return json.loads(body)
                    except ValueError:
                        raise MailboxError(f"Gmail API {path}: invalid JSON reply") from None
                reason, message = _error_details(body)
                detail = f"{status} {reason}".strip() + (f": {message}" if message else "")
                if self._token:
                    detail = detail.replace(self._token, "***")
                if status == 401 and not renewed:
                    renewed = True
                    fresh = self._token_for(True) or ""
                    if fresh and fresh != self._token:  # a grant: renew once and try again
                        self._token = fresh
                        continue
                if status == 401:
                    raise MailboxRevokedError(
                        f"Gmail API rejected the OAuth token ({detail}); authorise again"
                    )
                if status == 404:
                    raise GmailNotFoundError(f"Gmail API {path}: not found")
                if status == 429 or (status == 403 and reason in RATE_LIMIT_REASONS):
                    failure = MailboxQuotaError(
                        f"Gmail API rate limit still hit after {attempt + 1} tries ({detail})"
                    )
                    wait = retry_after_seconds(headers.get("Retry-After")) or wait
                elif status == 403:
                    raise MailboxAuthError(f"Gmail API refused access ({detail})")
                elif status >= 500:
                    failure = MailboxError(
                        f"Gmail API server error after {attempt + 1} tries ({detail})"
                    )
                else:
                    raise MailboxError(f"Gmail API {path}: {detail}")
            if attempt + 1 < self.attempts:
                self.sleep(min(wait, self.max_wait))
        raise failure
