"""The mailer resource: where SMTP is, where dry-run messages go, and the global send switch.

Which tenant may send what is decided elsewhere (policy at the gate, send mode at dispatch);
this resource only carries messages out: to an .eml file (dry_run) or to the SMTP server named
by `smtp_url` or STEWARD_SMTP_URL. STEWARD_EMAIL_SEND_DISABLED stops every SMTP send at once.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from email.message import Message
from pathlib import Path

import dagster as dg

from agent.killswitch import env_switch_on
from resources.mailer.smtp import (
    SmtpConfigError,
    SmtpOutcome,
    SmtpSession,
    SmtpTarget,
    parse_smtp_url,
    send,
)
from resources.paths import steward_home

SEND_DISABLED_ENV = "STEWARD_EMAIL_SEND_DISABLED"


class Mailer(dg.ConfigurableResource):
    smtp_url: str = ""
    outbox_dir: str = ""
    timeout_s: float = 30.0
    # SMTP connections a dispatcher pass sends on at once: a campaign of thousands is limited by
    # the round trips of one connection. Microsoft 365 allows three at once per mailbox.
    connections: int = 3

    def send_disabled(self) -> bool:
        return env_switch_on(os.environ.get(SEND_DISABLED_ENV))

    def target(self) -> SmtpTarget:
        url = self.smtp_url or os.environ.get("STEWARD_SMTP_URL", "")
        if not url:
            raise SmtpConfigError("no SMTP server configured: set STEWARD_SMTP_URL")
        return parse_smtp_url(url)

    def folder(self, tenant_slug: str) -> Path:
        base = Path(self.outbox_dir) if self.outbox_dir else steward_home() / "outbox"
        return base / tenant_slug

    def write_eml(self, tenant_slug: str, name: str, msg: Message) -> Path:
        """Write atomically (temp file + rename): a crash leaves the old file or the new one."""
        folder = self.folder(tenant_slug)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.eml"
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(msg.as_bytes())
        os.replace(tmp, path)
        return path

    def send(
        self,
        msg: Message,
        sender: str,
        recipient: str,
        before_data: Callable[[], None],
        session: SmtpSession | None = None,
    ) -> SmtpOutcome:
        """On `session`'s connection (see `session()`), else on a connection of its own."""
        if session is not None:
            return session.send(msg, sender, recipient, before_data)
        return send(self.target(), msg, sender, recipient, self.timeout_s, before_data)

    def session(self) -> SmtpSession:
        """A connection reused across messages (close it when done)."""
        return SmtpSession(self.target(), self.timeout_s)
