"""OAuth 2.0 access tokens for a tenant's mailbox, from its refresh token (RFC 6749 section 6).

Google's and Microsoft's access tokens live about an hour, so a mailbox connected with one stops
ingesting an hour later; with the client id, client secret and refresh token from the provider's
consent flow, Steward asks the token endpoint for a new access token before the current one
expires. Access tokens are cached in this process's memory only, never written anywhere.

A refusal that means the grant is gone (`invalid_grant`: revoked, expired, consent withdrawn)
is a `MailboxRevokedError`, which marks the connection `revoked` and alerts at once; a wrong
client id or secret (`invalid_client`) is an auth failure; a network failure or a 5xx is
retried with the one backoff rule (agent/retry.py), then reported as unreachable.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

from agent.retry import backoff_seconds
from resources.mailbox.base import (
    MailboxAuthError,
    MailboxError,
    MailboxRevokedError,
    MailboxUnreachableError,
    describe_network_error,
)

TOKEN_URLS = {
    "google": "https://oauth2.googleapis.com/token",
    "microsoft": "https://login.microsoftonline.com/common/oauth2/v2.0/token",
}
# What a Microsoft refresh must ask for again (Google keeps the consented scopes).
MICROSOFT_SCOPES = "https://outlook.office.com/IMAP.AccessAsUser.All offline_access"
EARLY = 300.0  # seconds before expiry a token is renewed, so no request carries a dying one
ATTEMPTS = 4
FIRST_WAIT, LAST_WAIT = 1.0, 30.0
REVOKED = {"invalid_grant"}
WRONG_CLIENT = {"invalid_client", "unauthorized_client"}


@dataclass
class _Cached:
    token: str
    expires_at: float


_cache: dict[str, _Cached] = {}
_lock = threading.Lock()


@dataclass
class TokenSource:
    """Access tokens for one tenant's mailbox grant."""

    tenant_slug: str
    provider: str
    client_id: str
    client_secret: str = field(repr=False)
    refresh_token: str = field(repr=False)
    token_url: str = ""
    timeout: float = 30.0
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep

    def __post_init__(self) -> None:
        if not self.token_url:
            if self.provider not in TOKEN_URLS:
                raise MailboxAuthError(
                    f"tenant {self.tenant_slug}: unknown OAuth provider {self.provider!r} "
                    f"(google or microsoft, or set oauth_token_url)")
            self.token_url = TOKEN_URLS[self.provider]
        grant = f"{self.token_url}\0{self.client_id}\0{self.refresh_token}"
        self._key = hashlib.sha256(grant.encode()).hexdigest()

    def secrets(self) -> tuple[str, ...]:
        cached = _cache.get(self._key)
        return (self.client_secret, self.refresh_token, *([cached.token] if cached else []))

    def access_token(self, force: bool = False) -> str:
        """A token valid for at least EARLY seconds more; `force` renews it whatever its age
        (the server refused it before its time)."""
        with _lock:
            cached = _cache.get(self._key)
            if cached and not force and cached.expires_at - self.clock() > EARLY:
                return cached.token
            token, lifetime, rotated = self._request()
            _cache[self._key] = _Cached(token, self.clock() + lifetime)
            if rotated:  # Microsoft may hand back a new refresh token; the old one still works
                self.refresh_token = rotated
            return token

    def _request(self) -> tuple[str, float, str | None]:
        form = {"grant_type": "refresh_token", "client_id": self.client_id,
                "client_secret": self.client_secret, "refresh_token": self.refresh_token}
        if self.provider == "microsoft":
            form["scope"] = MICROSOFT_SCOPES
        host = urlsplit(self.token_url).netloc
        failure: MailboxError = MailboxError("no token request made")
        for attempt in range(1, ATTEMPTS + 1):
            try:
                status, reply = post_form(self.token_url, form, self.timeout)
                if status == 200:
                    return self._granted(reply)
            except (OSError, ValueError) as exc:
                failure = MailboxUnreachableError(
                    f"tenant {self.tenant_slug}: token endpoint {host}: "
                    f"{describe_network_error(exc) if isinstance(exc, OSError) else 'bad reply'}"
                    f" after {attempt} tries")
            else:
                code, text = self._refusal(reply)
                if code in REVOKED:
                    raise MailboxRevokedError(
                        f"tenant {self.tenant_slug}: the {self.provider} refresh token was "
                        f"refused ({code}{': ' + text if text else ''}); the mailbox needs "
                        "consent again (steward inbox connect)")
                if code in WRONG_CLIENT or status in (400, 401, 403):
                    raise MailboxAuthError(
                        f"tenant {self.tenant_slug}: the {self.provider} token endpoint refused "
                        f"the client ({status} {code or ''}{': ' + text if text else ''}); "
                        "check oauth_client_id and oauth_client_secret")
                failure = MailboxUnreachableError(
                    f"tenant {self.tenant_slug}: token endpoint {host} answered {status} "
                    f"after {attempt} tries")
            if attempt < ATTEMPTS:
                self.sleep(backoff_seconds(attempt, FIRST_WAIT, LAST_WAIT))
        raise failure

    def _granted(self, reply: dict[str, Any]) -> tuple[str, float, str | None]:
        if not isinstance(reply.get("access_token"), str):
            raise ValueError("no access_token in the reply")
        lifetime = float(reply.get("expires_in") or 3600)
        rotated = reply.get("refresh_token")
        return reply["access_token"], lifetime, rotated if isinstance(rotated, str) else None

    def _refusal(self, reply: dict[str, Any]) -> tuple[str | None, str]:
        """The OAuth error code and description, with any secret of ours taken out."""
        text = str(reply.get("error_description") or "")[:200]
        for secret in (self.client_secret, self.refresh_token):
            text = text.replace(secret, "***")
        code = reply.get("error")
        return (code if isinstance(code, str) else None), text


def post_form(url: str, form: dict[str, str], timeout: float = 30) -> tuple[int, dict[str, Any]]:
    """POST a form to an OAuth endpoint: the status and the JSON object it answered ({} when
    the body is no JSON object). A network failure raises its OSError."""
    request = urllib.request.Request(
        url, data=urlencode(form).encode(), method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded",
                 "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, body = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, body = exc.code, exc.read()
    try:
        reply = json.loads(body or b"{}")
    except ValueError:
        reply = {}
    return status, reply if isinstance(reply, dict) else {}
