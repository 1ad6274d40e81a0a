"""A stand-in for Google's and Microsoft's OAuth token endpoints (RFC 6749 section 6) on
127.0.0.1: it exchanges a refresh token for an access token that expires, answers
`invalid_grant` for a revoked refresh token and `invalid_client` for a wrong secret, and can be
taken down. Its `accepts` is what the fake Gmail asks to check a Bearer token."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs


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
    lock: threading.Lock = field(default_factory=threading.Lock)

    def accepts(self, token: str) -> bool:
        with self.lock:
            return self.issued.get(token, 0.0) > time.time()

    def revoke(self, refresh_token: str) -> None:
        with self.lock:
            self.refresh_tokens.discard(refresh_token)

    def handle(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if self.down:
            return 503, {"error": "temporarily_unavailable"}
        if (form.get("client_id"), form.get("client_secret")) != (self.client_id,
                                                                  self.client_secret):
            return 401, {"error": "invalid_client", "error_description": "Unauthorized"}
        if form.get("grant_type") != "refresh_token":
            return 400, {"error": "unsupported_grant_type"}
        with self.lock:
            if form.get("refresh_token") not in self.refresh_tokens:
                return 400, {"error": "invalid_grant",
                             "error_description": "Token has been expired or revoked."}
            self.grants += 1
            token = f"access-{self.grants}-{int(time.time())}"
            self.issued[token] = time.time() + self.lifetime
        if self.on_issue:
            self.on_issue(token)
        return 200, {"access_token": token, "expires_in": self.lifetime,
                     "token_type": "Bearer", "scope": "https://mail.google.com/"}


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[-1] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        status, body = self.server.fake.handle(form)
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeOAuth


class FakeOAuthServer:
    def __init__(self, fake: FakeOAuth):
        self.fake = fake
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = fake
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def token_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/token"

    def start(self) -> FakeOAuthServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
