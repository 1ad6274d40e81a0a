"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, for mailer tests.

It can require STARTTLS and a login, refuse chosen recipients, answer DATA with a chosen error,
take its time over DATA, hold its reply to the next DATA until the test lets it go (so a crash
test can kill the client when the server has the message and the client has no answer yet), and
file each message it accepts into a Maildir's Sent folder, as Gmail does with mail sent through
its SMTP server.
"""

from __future__ import annotations

import asyncio
import email
import socket
import ssl
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.mailbox.tls import ServerCertificate


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: Message

    @property
    def key(self) -> str | None:
        return self.message["X-Steward-Key"]


@dataclass
class SmtpSink:
    certificate: ServerCertificate | None = None
    user: str | None = None
    password: str | None = None
    sent_maildir: Path | None = None
    delay_s: float = 0.0
    refuse: dict[str, str] = field(default_factory=dict)
    data_reply: str | None = None
    received: list[Received] = field(default_factory=list)
    # Called with each message the moment its DATA arrives (in the server's thread).
    on_data: Callable[[Message], None] | None = None

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self.port = _free_port()
        self._controller: Controller | None = None
        self._hold = False
        self._hold_at: int | None = None
        self._held = threading.Event()
        self._release = threading.Event()

    def hold_next_data(self) -> None:
        """The next DATA is received in full and kept, then its reply waits for
        `release_data()`."""
        self._held.clear()
        self._release.clear()
        self._hold = True

    def hold_data_after(self, n: int) -> None:
        """Like `hold_next_data`, for the n-th message from now (1: the next one)."""
        self._held.clear()
        self._release.clear()
        self._hold_at = len(self.received) + n

    def wait_data_held(self, timeout: float) -> bool:
        return self._held.wait(timeout)

    def release_data(self) -> None:
        """Send the held reply (to whoever is still connected)."""
        self._hold = False
        self._release.set()

    def url(self, starttls: str = "off") -> str:
        user = f"{self.user}@" if self.user else ""
        query = f"starttls={starttls}"
        if self.certificate:
            query += f"&cafile={self.certificate.ca_file}"
        return f"smtp://{user}127.0.0.1:{self.port}?{query}"

    def keys(self) -> Counter:
        with self._lock:
            return Counter(r.key for r in self.received)

    def to(self) -> list[str]:
        with self._lock:
            return [a for r in self.received for a in r.recipients]

    def start(self) -> SmtpSink:
        kwargs: dict = {}
        if self.certificate:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(self.certificate.cert_file, self.certificate.key_file)
            kwargs.update(tls_context=context, require_starttls=True)
        if self.user:
            kwargs.update(
                authenticator=self._authenticate,
                auth_required=True,
                auth_require_tls=self.certificate is not None,
            )
        self._controller = Controller(
            _Handler(self), hostname="127.0.0.1", port=self.port, ready_timeout=10, **kwargs
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == self.user
            and auth_data.password.decode() == self.password
        )
        return AuthResult(success=ok, handled=False)

    def _keep(self, envelope) -> None:
        """The Sent folder's copy first, then the message counts as received: a test that waits
        for a count and then looks in the Sent folder (a crash's reconciliation) must find it."""
        message = email.message_from_bytes(envelope.original_content or envelope.content)
        if self.sent_maildir is not None:
            folder = self.sent_maildir / ".Sent"
            for sub in ("tmp", "new", "cur"):
                (folder / sub).mkdir(parents=True, exist_ok=True)
            tmp = folder / "tmp" / uuid.uuid4().hex
            tmp.write_bytes(envelope.original_content or envelope.content)
            tmp.rename(folder / "new" / tmp.name)
        with self._lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))


class _Handler:
    def __init__(self, sink: SmtpSink):
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        refusal = self.sink.refuse.get(address.lower())
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.sink.delay_s:
            await asyncio.sleep(self.sink.delay_s)
        if self.sink.data_reply:
            return self.sink.data_reply
        if self.sink.on_data is not None:
            self.sink.on_data(email.message_from_bytes(envelope.original_content
                                                       or envelope.content))
        self.sink._keep(envelope)
        if self.sink._hold_at is not None and len(self.sink.received) >= self.sink._hold_at:
            self.sink._hold, self.sink._hold_at = True, None
        if self.sink._hold:  # queued, as a real server does at the final dot; the reply waits
            self.sink._hold = False  # this message's reply only: other connections go on
            self.sink._held.set()
            await asyncio.get_running_loop().run_in_executor(None, self.sink._release.wait, 60)
        return "250 2.0.0 queued"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
