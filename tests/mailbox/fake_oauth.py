"""A stand-in for Google's and Microsoft's OAuth token endpoints (RFC 6749 section 6) on
127.0.0.1: it exchanges a refresh token for an access token that expires, answers
`invalid_grant` for a revoked refresh token and `invalid_client` for a wrong secret, and can be
taken down. Its `accepts` is what the fake Gmail asks to check a Bearer token."""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.mailbox.loopback import LoopbackServer, send_json


@dataclass
class FakeOAuth:
    client_id: str = "steward-client"
    client_secret: str = "client-secret-7Q2x"
    refresh_tokens: set[str] = field(default_factory=lambda: {"refresh-token-9Zk4"})
    lifetime: int = 3600
    down: bool = False
    issued: dict[str, float] = field(default_factory=dict)  # access token -> expires at
    grants: int = 0
    on_issue: Callable[[str], None] | None = None  # told each token issued (a fake IMAP server)
    pending_polls: int = 2  # device flow: polls answered authorization_pending before consent
    interval: int = 5  # device flow: the seconds between polls it asks for
    deny: bool = False  # the owner refuses consent
    devices: dict[str, int] = field(default_factory=dict)  # device code -> polls left
    codes: dict[str, tuple[str, str]] = field(default_factory=dict)  # code -> (challenge, uri)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # what "now" is for expiry: time.time, which the tests move with clock_at (time-machine)
    # together with Steward's own token cache
    clock: Callable[[], float] = time.time
    # in every token it issues, so two fakes' tokens never collide in a shared server
    name: str = field(default_factory=lambda: secrets.token_hex(3))

    def accepts(self, token: str) -> bool:
        with self.lock:
            return self.issued.get(token, 0.0) > self.clock()

    def revoke(self, refresh_token: str) -> None:
        with self.lock:
            self.refresh_tokens.discard(refresh_token)

    def handle(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if self.down:
            return 503, {"error": "temporarily_unavailable"}
        if (form.get("client_id"), form.get("client_secret")) != (self.client_id,
                                                                  self.client_secret):
            return 401, {"error": "invalid_client", "error_description": "Unauthorized"}
        grant = form.get("grant_type")
        if grant == "urn:ietf:params:oauth:grant-type:device_code":
            return self._device_token(form.get("device_code", ""))
        if grant == "authorization_code":
            return self._code_token(form)
        if grant != "refresh_token":
            return 400, {"error": "unsupported_grant_type"}
        with self.lock:
            if form.get("refresh_token") not in self.refresh_tokens:
                return 400, {"error": "invalid_grant",
                             "error_description": "Token has been expired or revoked."}
        return self._issue()

    def _issue(self, refresh: str | None = None) -> tuple[int, dict[str, Any]]:
        with self.lock:
            self.grants += 1
            token = f"access-{self.name}-{self.grants}"
            self.issued[token] = self.clock() + self.lifetime
        if self.on_issue:
            self.on_issue(token)
        reply = {"access_token": token, "expires_in": self.lifetime, "token_type": "Bearer",
                 "scope": "https://mail.google.com/"}
        if refresh:
            self.refresh_tokens.add(refresh)
            reply["refresh_token"] = refresh
        return 200, reply

    def device_start(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if form.get("client_id") != self.client_id:
            return 400, {"error": "invalid_client"}
        code = f"device-{len(self.devices) + 1}"
        self.devices[code] = self.pending_polls
        return 200, {"device_code": code, "user_code": "WDJB-MJHT", "interval": self.interval,
                     "verification_uri": "https://microsoft.com/devicelogin", "expires_in": 900}

    def _device_token(self, code: str) -> tuple[int, dict[str, Any]]:
        if code not in self.devices:
            return 400, {"error": "expired_token"}
        if self.deny:
            return 400, {"error": "access_denied"}
        if self.devices[code] > 0:
            self.devices[code] -= 1
            return 400, {"error": "authorization_pending"}
        del self.devices[code]
        return self._issue(f"refresh-from-{code}")

    def authorize(self, query: dict[str, str]) -> str:
        """Where the provider's consent page sends the browser once the owner answered."""
        target = query["redirect_uri"]
        if self.deny:
            return f"{target}?{urlencode({'error': 'access_denied', 'state': query['state']})}"
        code = f"code-{len(self.codes) + 1}"
        self.codes[code] = (query["code_challenge"], target)
        return f"{target}?{urlencode({'code': code, 'state': query['state']})}"

    def _code_token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        challenge, uri = self.codes.pop(form.get("code", ""), ("", ""))
        verifier = form.get("code_verifier", "").encode()
        expected = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=")
        if not challenge or expected.decode() != challenge or form.get("redirect_uri") != uri:
            return 400, {"error": "invalid_grant"}
        return self._issue(f"refresh-from-{form['code']}")


class _Handler(BaseHTTPRequestHandler):
    server: Any

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming): the consent page
        query = {k: v[-1] for k, v in parse_qs(urlsplit(self.path).query).items()}
        self.send_response(302)
        self.send_header("Location", self.server.fake.authorize(query))
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[-1] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        fake = self.server.fake
        status, body = fake.device_start(form) if self.path == "/device" else fake.handle(form)
        send_json(self, status, body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


class FakeOAuthServer(LoopbackServer):
    def __init__(self, fake: FakeOAuth):
        super().__init__(_Handler, fake)

    def start(self) -> FakeOAuthServer:
        return super().start()

    @property
    def token_url(self) -> str:
        return f"{self.url}/token"

    @property
    def device_url(self) -> str:
        return f"{self.url}/device"

    @property
    def authorize_url(self) -> str:
        return f"{self.url}/authorize"
