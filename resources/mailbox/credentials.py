"""A tenant's mailbox secrets: read when a mailbox is opened, never stored, never printed.

Secrets stay out of the database and the run config on purpose: a database dump, a Dagster run
page or a log line must never be enough to read someone's mail. They come from the environment
(`STEWARD_MAILBOX_PASSWORD_<SLUG>`, `STEWARD_MAILBOX_TOKEN_<SLUG>`, the slug upper-cased with
dashes as underscores) or from a JSON secrets file (`STEWARD_SECRETS_FILE`, by default
`$STEWARD_HOME/secrets.json`) shaped `{"tenants": {"<slug>": {"mailbox_password": "...",
"oauth_token": "..."}}}`. Each value set in the environment wins over the file's.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from resources.mailbox.base import MailboxError
from resources.paths import steward_home

PASSWORD_VAR = "STEWARD_MAILBOX_PASSWORD_"
TOKEN_VAR = "STEWARD_MAILBOX_TOKEN_"
SECRETS_FILE_VAR = "STEWARD_SECRETS_FILE"


def env_suffix(tenant_slug: str) -> str:
    return tenant_slug.upper().replace("-", "_")


def secrets_file_path(environ: Mapping[str, str] | None = None) -> Path:
    environ = os.environ if environ is None else environ
    configured = environ.get(SECRETS_FILE_VAR)
    return Path(configured).expanduser() if configured else steward_home() / "secrets.json"


@dataclass(frozen=True)
class Credentials:
    """A password and/or an OAuth access token; repr and str show only whether each is set.

    An OAuth token means XOAUTH2 for IMAP and a Bearer header for the Gmail API; when both are
    present the token is used.
    """

    password: str | None = field(default=None, repr=False)
    oauth_token: str | None = field(default=None, repr=False)
    origin: str = "none"  # where they came from, for messages: "environment", a file path

    def __repr__(self) -> str:
        def mask(value: str | None) -> str:
            return "'***'" if value else "None"

        return (
            f"Credentials(password={mask(self.password)}, oauth_token={mask(self.oauth_token)}, "
            f"origin={self.origin!r})"
        )

    __str__ = __repr__

    def scrub(self, text: str) -> str:
        """`text` with any secret replaced, for error messages built from server replies."""
        for secret in (self.password, self.oauth_token):
            if secret:
                text = text.replace(secret, "***")
        return text

    @classmethod
    def for_tenant(cls, tenant_slug: str, environ: Mapping[str, str] | None = None) -> Credentials:
        """The tenant's credentials from the environment, then the secrets file."""
        environ = os.environ if environ is None else environ
        suffix = env_suffix(tenant_slug)
        env_password = environ.get(PASSWORD_VAR + suffix) or None
        env_token = environ.get(TOKEN_VAR + suffix) or None
        if env_password and env_token:
            return cls(env_password, env_token, "environment")
        path = secrets_file_path(environ)
        entry = _file_entry(path, tenant_slug)
        password = env_password or entry.get("mailbox_password") or None
        token = env_token or entry.get("oauth_token") or None
        sources = []
        if env_password or env_token:
            sources.append("environment")
        if (password and not env_password) or (token and not env_token):
            sources.append(str(path))
        origin = " and ".join(sources) or "none"
        return cls(password, token, origin)


def _file_entry(path: Path, tenant_slug: str) -> dict[str, Any]:
    """The tenant's entry in the secrets file; a missing file or tenant is simply no secrets."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise MailboxError(f"cannot read secrets file {path}: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        # The position only: the message around it could quote a secret.
        raise MailboxError(
            f"secrets file {path} is not valid JSON (line {exc.lineno}, column {exc.colno})"
        ) from None
    tenants = data.get("tenants") if isinstance(data, dict) else None
    entry = tenants.get(tenant_slug) if isinstance(tenants, dict) else None
    if entry is None:
        return {}
    if not isinstance(entry, dict) or not all(
        isinstance(entry.get(k, ""), str) for k in ("mailbox_password", "oauth_token")
    ):
        raise MailboxError(
            f"secrets file {path}: tenants.{tenant_slug} must map mailbox_password and "
            "oauth_token to strings"
        )
    return entry
