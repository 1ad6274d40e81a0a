"""The consent flows that give Steward a refresh token for a tenant's mailbox.

The device flow (RFC 8628) suits a server without a browser: Steward shows a code and a URL,
the mailbox owner enters the code on any device, and Steward polls the token endpoint until
they have consented. Microsoft offers it for IMAP; Google does not allow Gmail's scopes on its
device flow, so for Google the loopback flow (RFC 8252) runs instead: Steward listens on a
127.0.0.1 port, shows the consent URL (with PKCE, RFC 7636), the owner opens it in a browser on
the same machine, and the provider redirects back to the port with a code Steward exchanges.
Either way the result is a refresh token; nothing here stores it.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from resources.mailbox.base import MailboxAuthError
from resources.mailbox.oauth import MICROSOFT_SCOPES, post_form

AUTHORIZE_URLS = {
    "google": "https://accounts.google.com/o/oauth2/v2/auth",
    "microsoft": "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
}
DEVICE_URLS = {"microsoft": "https://login.microsoftonline.com/common/oauth2/v2.0/devicecode"}
SCOPES = {"google": "https://mail.google.com/", "microsoft": MICROSOFT_SCOPES}
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


class ConsentError(MailboxAuthError):
    """The owner did not consent, or the provider refused the flow: said in one line."""


def _post(url: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
    try:
        return post_form(url, form)
    except OSError as exc:
        raise ConsentError(f"{urlsplit(url).netloc} cannot be reached: {exc}") from None


def _refresh_token(reply: dict[str, Any], provider: str) -> str:
    token = reply.get("refresh_token")
    if not isinstance(token, str) or not token:
        raise ConsentError(f"{provider} granted access but no refresh token (the consent must "
                           "ask for offline access)")
    return token


def device_flow(provider: str, client_id: str, client_secret: str, token_url: str,
                device_url: str, show: Callable[[str], None],
                sleep: Callable[[float], None] = time.sleep,
                clock: Callable[[], float] = time.monotonic) -> str:
    status, start = _post(device_url, {"client_id": client_id, "scope": SCOPES[provider]})
    if status != 200 or "device_code" not in start:
        raise ConsentError(f"{provider} refused the device flow: {start.get('error', status)}")
    show(f"On any device, open {start['verification_uri']} and enter the code "
         f"{start['user_code']} (signed in as the mailbox owner).")
    interval = float(start.get("interval", 5))
    deadline = clock() + float(start.get("expires_in") or 900)
    form = {"grant_type": DEVICE_GRANT, "device_code": start["device_code"],
            "client_id": client_id, "client_secret": client_secret}
    while clock() < deadline:
        sleep(interval)
        status, reply = _post(token_url, form)
        if status == 200:
            return _refresh_token(reply, provider)
        error = reply.get("error")
        if error == "authorization_pending":
            continue
        if error == "slow_down":
            interval += 5
            continue
        raise ConsentError(f"{provider} ended the device flow: {error or status}")
    raise ConsentError(f"the code expired before the owner consented ({provider})")


class _Redirect(BaseHTTPRequestHandler):
    server: _Loopback

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self.server.query = {k: v[-1] for k, v in parse_qs(urlsplit(self.path).query).items()}
        body = b"Steward has the answer; you can close this page."
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the command prints what matters."""


class _Loopback(HTTPServer):
    query: dict[str, str] | None = None


def loopback_flow(provider: str, client_id: str, client_secret: str, token_url: str,
                  authorize_url: str, show: Callable[[str], None], timeout: float = 300) -> str:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(
        hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    state = secrets.token_urlsafe(16)
    server = _Loopback(("127.0.0.1", 0), _Redirect)
    server.timeout = timeout
    redirect = f"http://127.0.0.1:{server.server_address[1]}/"
    query = {"response_type": "code", "client_id": client_id, "redirect_uri": redirect,
             "scope": SCOPES[provider], "state": state, "code_challenge": challenge,
             "code_challenge_method": "S256", "access_type": "offline", "prompt": "consent"}
    try:
        show(f"Open this address in a browser on this machine, signed in as the mailbox "
             f"owner, and allow access:\n{authorize_url}?{urlencode(query)}")
        waiting = threading.Thread(target=server.handle_request, daemon=True)
        waiting.start()
        waiting.join(timeout + 1)
    finally:
        server.server_close()
    answer = server.query
    if answer is None:
        raise ConsentError(f"no answer from {provider} within {timeout:.0f} s")
    if answer.get("state") != state:
        raise ConsentError("the answer did not come from the consent Steward started "
                           "(state mismatch): start again")
    if "code" not in answer:
        raise ConsentError(f"{provider} did not grant access: {answer.get('error', 'no code')}")
    status, reply = _post(token_url, {
        "grant_type": "authorization_code", "code": answer["code"], "redirect_uri": redirect,
        "client_id": client_id, "client_secret": client_secret, "code_verifier": verifier})
    if status != 200:
        raise ConsentError(f"{provider} refused the code: {reply.get('error', status)}")
    return _refresh_token(reply, provider)
